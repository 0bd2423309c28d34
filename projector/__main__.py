"""`python -m projector`: keeps the read models current until SIGTERM."""

from __future__ import annotations

from orderflow_platform import app
from orderflow_platform.settings import Settings
from projector import bootstrap

if __name__ == "__main__":
    app.run("projector", bootstrap.app, Settings)

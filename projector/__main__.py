"""`python -m projector`: keeps the read models current until SIGTERM."""

from __future__ import annotations

from orderflow_platform import app
from orderflow_platform.settings import Settings
from projector.bootstrap import ProjectorApp

if __name__ == "__main__":
    app.run("projector", ProjectorApp, Settings)

"""`python -m notify_svc`: records outcomes as notices and delivers them, until SIGTERM."""

from __future__ import annotations

from notify_svc import bootstrap
from notify_svc.settings import NotifyServiceSettings
from orderflow_platform import app

if __name__ == "__main__":
    app.run("notify_svc", bootstrap.app, NotifyServiceSettings)

"""`python -m inventory_svc`: one replica — the stream processor and the gRPC server."""

from __future__ import annotations

from inventory_svc import bootstrap
from orderflow_platform import app
from orderflow_platform.settings import Settings

if __name__ == "__main__":
    app.run(f"inventory_svc-{bootstrap.instance()}", bootstrap.app, Settings)

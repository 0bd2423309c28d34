"""`python -m order_svc`: the order service's gRPC server on :50051."""

from __future__ import annotations

from order_svc import bootstrap
from orderflow_platform import app
from orderflow_platform.settings import Settings

if __name__ == "__main__":
    app.run("order_svc", bootstrap.app, Settings)

"""`python -m aggregator`: one replica — the stream processor and MetricsService over gRPC."""

from __future__ import annotations

from aggregator import bootstrap
from aggregator.settings import AggregatorServiceSettings
from orderflow_platform import app

if __name__ == "__main__":
    app.run(f"aggregator-{bootstrap.instance()}", bootstrap.app, AggregatorServiceSettings)

"""Stand-ins for the aggregator's parts, for tests of its app's life."""

from __future__ import annotations

from datetime import UTC, datetime

from orderflow.metrics.v1.events_pb2 import OrderRateWindow


class FixedRates:
    """Windows given up front, with no topic to follow."""

    def __init__(self, windows: list[OrderRateWindow]) -> None:
        self._fixed = windows

    def since(self, start: datetime) -> list[OrderRateWindow]:
        return [w for w in self._fixed if w.window_start.ToDatetime(UTC) >= start]

"""Stand-ins for the aggregator's parts, for tests of its app's life."""

from __future__ import annotations

from datetime import UTC, datetime

from orderflow.metrics.v1.events_pb2 import OrderRateWindow

from aggregator.adapters.rate_view import RateView


class FixedRates(RateView):
    """A rate view over windows given up front, with no topic to follow: MetricsService takes
    the adapter itself, so the fake stands in for it and keeps only its query."""

    def __init__(self, windows: list[OrderRateWindow]) -> None:
        self._fixed = windows

    def since(self, start: datetime) -> list[OrderRateWindow]:
        return [w for w in self._fixed if w.window_start.ToDatetime(UTC) >= start]

"""`orderflow metrics rate` prints one line per window."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.metrics.v1.events_pb2 import CurrencyTotal, OrderRateWindow

from aggregator.entrypoints.cli import describe


def test_a_window_line_says_its_minute_count_rate_state_and_currencies() -> None:
    start = Timestamp()
    start.FromDatetime(datetime(2026, 11, 25, 14, 54, tzinfo=UTC))
    window = OrderRateWindow(
        window_start=start,
        window_seconds=60,
        order_count=90,
        orders_per_second=1.5,
        currencies=[CurrencyTotal(currency="EUR", order_count=90, total_cents=900)],
        final=True,
        late_count=2,
    )
    line = describe(window)
    assert line.startswith("2026-11-25T14:54:00Z")
    assert (
        "90 orders" in line and "1.50/s" in line and "final, 2 late" in line and "EUR 90 (900 cents)" in line
    )

"""The aggregator's use cases: route an order to its window, count it there, publish."""

from __future__ import annotations

from datetime import datetime

from aggregator.domain.windows import Order, Window, WindowedOrder, Windows, windowed


def route_order(order: Order) -> WindowedOrder:
    """An order read from its user's partition, bound for its window's owner."""
    return windowed(order)


def count_order(order: WindowedOrder, windows: Windows, now: datetime) -> tuple[Window, bool]:
    """The window's new state, to record, and whether the order was late."""
    return windows.add(order, now)


def publish_due(windows: Windows, now: datetime) -> list[Window]:
    return windows.publish(now)

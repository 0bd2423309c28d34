"""The aggregator's use cases: route an order to its window, count it there, publish."""

from __future__ import annotations

from datetime import datetime

from aggregator.domain.windows import Order, Window, WindowedOrder, Windows, windowed


def route_order(order: Order) -> WindowedOrder:
    """An order read from its user's partition, bound for its window's owner."""
    return windowed(order)


def count_order(order: WindowedOrder, windows: Windows, now: datetime) -> bool:
    """Counts the order in its window (recorded at the end of the batch); whether it was late."""
    _window, late = windows.add(order, now)
    return late


def publish_due(windows: Windows, now: datetime) -> tuple[list[Window], list[Window]]:
    """The windows to publish (with their state), then the others whose state changed."""
    return windows.publish(now), windows.unrecorded()

"""The reservation saga of one order: a line per SKU, each decided by that SKU's owner.

The order's coordinator starts the saga, collects one result per line and settles the
order once every line is in: confirmed when all were reserved; otherwise rejected naming
the first short line (in the order's line order), and every line that was held is
released again (the compensation).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class LineResult:
    order_id: str
    sku: str
    quantity_requested: int
    reserved: bool
    quantity_available: int


@dataclass(frozen=True)
class PlacedOrder:
    """An OrderCreated as the saga needs it."""

    order_id: str
    user_id: str
    lines: tuple[Line, ...]
    total_cents: int
    created_at: datetime
    currency: str = "USD"
    # Where the user wants to hear about this order; empty for the user directory's address.
    contact_email: str = ""


@dataclass(frozen=True)
class Confirmed:
    order: PlacedOrder


@dataclass(frozen=True)
class Rejected:
    order: PlacedOrder
    short: LineResult
    releases: tuple[Line, ...]

    @property
    def reason(self) -> str:
        return (
            f"out of stock: {self.short.sku} (asked {self.short.quantity_requested}, "
            f"available {self.short.quantity_available})"
        )


Settlement = Confirmed | Rejected


def lines_by_sku(items: list[tuple[str, int]]) -> tuple[Line, ...]:
    """One line per SKU (quantities of repeated SKUs added), in first-appearance order."""
    totals: dict[str, int] = {}
    for sku, quantity in items:
        totals[sku] = totals.get(sku, 0) + quantity
    return tuple(Line(sku, quantity) for sku, quantity in totals.items())


@dataclass
class OrderSaga:
    order: PlacedOrder
    results: dict[str, LineResult] = field(default_factory=dict)
    settled: bool = False

    def record(self, result: LineResult) -> Settlement | None:
        """Takes one line's result; the settlement once the last line is in, else None."""
        if self.settled or result.sku in self.results:
            return None
        self.results[result.sku] = result
        if len(self.results) < len(self.order.lines):
            return None
        self.settled = True
        in_line_order = [self.results[line.sku] for line in self.order.lines]
        short = next((r for r in in_line_order if not r.reserved), None)
        if short is None:
            return Confirmed(self.order)
        held = tuple(Line(r.sku, r.quantity_requested) for r in in_line_order if r.reserved)
        return Rejected(self.order, short, held)


class SettledOrders:
    """The ids of settled orders, by which a repeated OrderCreated is ignored.

    A settled saga is kept as its order id alone: strings are not tracked by the garbage
    collector, where a saga's objects are, and a replica settles millions of orders. An id
    is dropped once `keep` has passed since the order was settled, by `clock`: the progress
    changelog keeps a settlement's record that long from its timestamp, the same moment, so
    a replica remembers no more than a rebuild of it would. Not from the order's own time:
    one order stamped days ahead by a skewed clock would make the replica forget every
    other settled order, and ignore no repeat of them, for days."""

    def __init__(self, keep: timedelta, clock: Callable[[], datetime]) -> None:
        self._keep, self._clock = keep, clock
        # In settling order: the oldest first.
        self._settled_at: OrderedDict[str, datetime] = OrderedDict()

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._settled_at

    def __len__(self) -> int:
        return len(self._settled_at)

    def add(self, order_id: str, settled_at: datetime | None = None) -> None:
        """Remembers an order settled now, or at `settled_at` (its changelog record's time)."""
        now = self._clock()
        self._settled_at[order_id] = now if settled_at is None else settled_at
        horizon = now - self._keep
        while self._settled_at:
            oldest_id, oldest_at = next(iter(self._settled_at.items()))
            if oldest_at >= horizon:
                return
            del self._settled_at[oldest_id]

    def update(self, other: SettledOrders) -> None:
        for order_id, settled_at in other._settled_at.items():
            self.add(order_id, settled_at)

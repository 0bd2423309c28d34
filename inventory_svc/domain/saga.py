"""The reservation saga of one order: a line per SKU, each decided by that SKU's owner.

The order's coordinator starts the saga, collects one result per line and settles the
order once every line is in: confirmed when all were reserved; otherwise rejected naming
the first short line (in the order's line order), and every line that was held is
released again (the compensation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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

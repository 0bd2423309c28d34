"""One SKU's stock, as its single owner sees it. Pure: no Kafka, gRPC or database.

Invariant: 0 <= reserved <= on_hand, so available = on_hand - reserved is never negative.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Stock:
    sku: str
    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def reserve(stock: Stock, quantity: int) -> tuple[Stock, bool]:
    """Holds `quantity` units when that many are available; otherwise holds nothing."""
    if quantity <= stock.available:
        return replace(stock, reserved=stock.reserved + quantity), True
    return stock, False


def release(stock: Stock, quantity: int) -> Stock:
    """Gives back units an order held. The saga releases only what it reserved."""
    return replace(stock, reserved=max(stock.reserved - quantity, 0))


def set_on_hand(stock: Stock, quantity: int) -> tuple[Stock, bool]:
    """Sets supplied units; refused (unchanged) when it would leave reservations unbacked."""
    if quantity < stock.reserved:
        return stock, False
    return replace(stock, on_hand=quantity), True

"""Commands to the owner of one SKU and what the inventory's steps write out."""

from __future__ import annotations

from dataclasses import dataclass

from inventory_svc.domain.saga import LineResult, OrderSaga, Settlement
from inventory_svc.domain.stock import Stock


@dataclass(frozen=True)
class SetOnHand:
    sku: str
    request_id: str
    quantity: int


@dataclass(frozen=True)
class ReserveLine:
    sku: str
    order_id: str
    quantity: int
    # The order's orders.created partition, where its coordinator hears the result.
    reply_partition: int


@dataclass(frozen=True)
class ReleaseLine:
    sku: str
    order_id: str
    quantity: int


StockCommand = SetOnHand | ReserveLine | ReleaseLine


@dataclass(frozen=True)
class StockChanged:
    """The SKU's whole new state (for the compacted stock changelog)."""

    stock: Stock
    cause_id: str


@dataclass(frozen=True)
class LineDecided:
    result: LineResult
    reply_partition: int


@dataclass(frozen=True)
class SagaChanged:
    """The saga's whole new state (for the compacted progress changelog)."""

    saga: OrderSaga
    partition: int


Output = StockChanged | StockCommand | LineDecided | SagaChanged | Settlement

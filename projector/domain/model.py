"""The events the read models are built from, and how one batch of them folds.

A batch folds to at most one row change per order and per SKU, chosen so that the result
does not depend on how the events were split into batches: the first OrderCreated of an
order wins (a duplicate repeats it), the first outcome wins (there is only one), and the
latest StockLevel of a SKU and the latest count of a minute win (both topics are
changelogs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class OrderPlaced:
    order_id: str
    user_id: str
    lines: tuple[OrderLine, ...]
    total_cents: int
    idempotency_key: str
    created_at: datetime
    currency: str


@dataclass(frozen=True)
class OrderDecided:
    order_id: str
    user_id: str
    status: Status
    reason: str
    decided_at: datetime


@dataclass(frozen=True)
class StockChanged:
    sku: str
    on_hand: int
    reserved: int
    updated_at: datetime
    cause_id: str


@dataclass(frozen=True)
class MinuteCounted:
    """The aggregator's latest count of a minute's orders (metrics.order.rate)."""

    minute: datetime
    orders: int


Event = OrderPlaced | OrderDecided | StockChanged | MinuteCounted


@dataclass(frozen=True)
class BatchChanges:
    placed: tuple[OrderPlaced, ...]
    decided: tuple[OrderDecided, ...]
    stock: tuple[StockChanged, ...]
    minutes: tuple[MinuteCounted, ...]


def fold(events: Iterable[Event]) -> BatchChanges:
    placed: dict[str, OrderPlaced] = {}
    decided: dict[str, OrderDecided] = {}
    stock: dict[str, StockChanged] = {}
    minutes: dict[datetime, MinuteCounted] = {}
    for event in events:
        match event:
            case OrderPlaced():
                placed.setdefault(event.order_id, event)
            case OrderDecided():
                decided.setdefault(event.order_id, event)
            case StockChanged():
                stock[event.sku] = event
            case MinuteCounted():
                minutes[event.minute] = event
    return BatchChanges(
        tuple(placed.values()), tuple(decided.values()), tuple(stock.values()), tuple(minutes.values())
    )

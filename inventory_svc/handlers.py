"""The inventory's use cases: its three stream steps, and the SetStock and GetStock requests.

Each step takes one input over the state of the partitions this replica owns and returns
what to write; the caller writes all of it, and the input's offset, in one Kafka
transaction. Pure apart from mutating `state`. The requests go through the ports.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from inventory_svc.domain import stock as stock_rules
from inventory_svc.domain.commands import (
    LineDecided,
    Output,
    ReleaseLine,
    ReserveLine,
    SagaChanged,
    SetOnHand,
    StockChanged,
    StockCommand,
)
from inventory_svc.domain.ports import AppliedChanges, StockCommandLog, StockLevels
from inventory_svc.domain.requests import (
    BelowReserved,
    InvalidStockRequest,
    NoStock,
    NotApplied,
    SetStock,
    set_stock_violations,
    sku_violations,
)
from inventory_svc.domain.saga import LineResult, OrderSaga, PlacedOrder, Rejected
from inventory_svc.domain.stock import Stock


@dataclass
class InventoryState:
    """Stock of the owned SKU partitions and sagas of the owned order partitions."""

    stock: dict[str, Stock] = field(default_factory=dict)
    sagas: dict[str, OrderSaga] = field(default_factory=dict)

    def stock_of(self, sku: str) -> Stock:
        return self.stock.get(sku) or Stock(sku)


def place_order(order: PlacedOrder, partition: int, state: InventoryState) -> list[Output]:
    """Starts the saga: one ReserveLine per SKU. A repeated order id is ignored."""
    if order.order_id in state.sagas:
        return []
    saga = OrderSaga(order)
    state.sagas[order.order_id] = saga
    reserves: list[Output] = [
        ReserveLine(line.sku, order.order_id, line.quantity, partition) for line in order.lines
    ]
    return [SagaChanged(saga, partition), *reserves]


def apply_command(command: StockCommand, state: InventoryState) -> list[Output]:
    """The single writer of a SKU applies one command to it."""
    current = state.stock_of(command.sku)
    match command:
        case ReserveLine(sku, order_id, quantity, reply_partition):
            updated, reserved = stock_rules.reserve(current, quantity)
            result = LineResult(order_id, sku, quantity, reserved, current.available)
            changes: list[Output] = [StockChanged(updated, order_id)] if reserved else []
            state.stock[sku] = updated
            return [*changes, LineDecided(result, reply_partition)]
        case ReleaseLine(_sku, order_id, quantity):
            state.stock[command.sku] = stock_rules.release(current, quantity)
            return [StockChanged(state.stock[command.sku], order_id)]
        case SetOnHand(_sku, request_id, quantity):
            # Refused or not, the SKU's state is written with the request id as its cause,
            # so whoever waits for the request sees it was handled (and how).
            state.stock[command.sku], _applied = stock_rules.set_on_hand(current, quantity)
            return [StockChanged(state.stock[command.sku], request_id)]


def settle_line(result: LineResult, partition: int, state: InventoryState) -> list[Output]:
    """The coordinator records a line's result and settles the order once all are in."""
    saga = state.sagas.get(result.order_id)
    if saga is None or saga.settled or result.sku in saga.results:
        return []
    settlement = saga.record(result)
    if settlement is None:
        return [SagaChanged(saga, partition)]
    outputs: list[Output] = [SagaChanged(saga, partition), settlement]
    if isinstance(settlement, Rejected):
        outputs += [ReleaseLine(line.sku, saga.order.order_id, line.quantity) for line in settlement.releases]
    return outputs


async def set_stock(
    request: SetStock,
    trace_id: str | None,
    commands: StockCommandLog,
    changes: AppliedChanges,
    budget: Callable[[], float],
) -> Stock:
    """Sends SetOnHand to the SKU's owner and returns the stock once the owner has applied
    it; waits at most what `budget` gives once the command is recorded."""
    if violations := set_stock_violations(request.sku, request.quantity):
        raise InvalidStockRequest(violations)
    assert request.quantity is not None
    request_id = uuid.uuid4().hex
    await commands.set_on_hand(SetOnHand(request.sku, request_id, request.quantity), trace_id)
    stock = await changes.applied(request_id, budget())
    if stock is None:
        raise NotApplied(request.sku)
    if stock.on_hand != request.quantity:
        raise BelowReserved(request.quantity, stock.reserved)
    return stock


async def get_stock(sku: str, levels: StockLevels) -> Stock:
    if violations := sku_violations(sku):
        raise InvalidStockRequest(violations)
    stock = await levels.level(sku)
    if stock is None:
        raise NoStock(sku)
    return stock

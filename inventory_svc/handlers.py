"""The inventory's use cases: its three stream steps, and the SetStock and GetStock requests.

Each step takes one input over the state of the partitions this replica owns and returns
what to write; the caller writes all of it, and the input's offset, in one Kafka
transaction. Pure apart from mutating `state`. The requests go through the ports.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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
from inventory_svc.domain.saga import (
    LineResult,
    OrderSaga,
    PlacedOrder,
    Rejected,
    SettledOrders,
    Settlement,
)
from inventory_svc.domain.stock import Stock

# How long a settled order is remembered after it was settled: as long as inventory.progress
# keeps its record (its retention), the window in which order_svc may repeat an OrderCreated
# many times over.
SETTLED_KEPT = timedelta(days=7)


def wall_clock() -> datetime:
    return datetime.now(UTC)


def settled_orders(clock: Callable[[], datetime] = wall_clock) -> SettledOrders:
    return SettledOrders(SETTLED_KEPT, clock)


@dataclass
class InventoryState:
    """Stock of the owned SKU partitions, and the open sagas and settled order ids of the
    owned order partitions."""

    stock: dict[str, Stock] = field(default_factory=dict)
    sagas: dict[str, OrderSaga] = field(default_factory=dict)
    settled: SettledOrders = field(default_factory=settled_orders)
    # Per SKU, the lines of these sagas sent to its owner through Kafka and not answered yet.
    awaiting: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of_sagas(cls, open_sagas: Iterable[OrderSaga], settled: SettledOrders) -> InventoryState:
        """The sagas as read back from their changelog: a line without a result was sent
        through Kafka (a line decided in place has its result in the same record)."""
        state = cls(sagas={saga.order.order_id: saga for saga in open_sagas}, settled=settled)
        for saga in state.sagas.values():
            state.awaiting.update(line.sku for line in saga.order.lines if line.sku not in saga.results)
        return state

    def stock_of(self, sku: str) -> Stock:
        return self.stock.get(sku) or Stock(sku)


# The state holding a SKU's stock when this replica owns it (its commands partition is
# assigned here), else None: the saga then reserves and releases that SKU in place, in the
# transaction that decides, instead of a command and a reply through Kafka.
LocalStock = Callable[[str], InventoryState | None]


def nowhere(_sku: str) -> InventoryState | None:
    return None


def place_order(
    order: PlacedOrder, partition: int, state: InventoryState, local_stock: LocalStock = nowhere
) -> list[Output]:
    """Starts the saga: a line whose SKU this replica owns is reserved in place, any other
    goes to its SKU's owner as a ReserveLine. A repeated order id is ignored.

    A SKU with lines of this partition's sagas still on their way through Kafka (sent
    before its stock came to this replica) is sent after them, not reserved in place:
    a user's orders reach each SKU in the order they were accepted."""
    if order.order_id in state.sagas or order.order_id in state.settled:
        return []
    saga = OrderSaga(order)
    state.sagas[order.order_id] = saga
    outputs: list[Output] = [SagaChanged(saga, partition)]
    settlement = None
    for line in order.lines:
        owner = None if state.awaiting[line.sku] else local_stock(line.sku)
        if owner is None:
            state.awaiting[line.sku] += 1
            outputs.append(ReserveLine(line.sku, order.order_id, line.quantity, partition))
            continue
        result, changes = _reserve(owner, line.sku, order.order_id, line.quantity)
        outputs += changes
        settlement = saga.record(result)
    if settlement is not None:
        outputs += _settled(settlement, state, local_stock)
    return outputs


def apply_command(command: StockCommand, state: InventoryState) -> list[Output]:
    """The single writer of a SKU applies one command to it."""
    match command:
        case ReserveLine(sku, order_id, quantity, reply_partition):
            result, changes = _reserve(state, sku, order_id, quantity)
            return [*changes, LineDecided(result, reply_partition)]
        case ReleaseLine(sku, order_id, quantity):
            return [_release(state, sku, order_id, quantity)]
        case SetOnHand(sku, request_id, quantity):
            # Refused or not, the SKU's state is written with the request id as its cause,
            # so whoever waits for the request sees it was handled (and how).
            state.stock[sku], _applied = stock_rules.set_on_hand(state.stock_of(sku), quantity)
            return [StockChanged(state.stock[sku], request_id)]


def settle_line(
    result: LineResult, partition: int, state: InventoryState, local_stock: LocalStock = nowhere
) -> list[Output]:
    """The coordinator records a line's result and settles the order once all are in."""
    saga = state.sagas.get(result.order_id)
    if saga is None or result.sku in saga.results:
        return []
    state.awaiting[result.sku] -= 1
    if state.awaiting[result.sku] <= 0:
        del state.awaiting[result.sku]
    settlement = saga.record(result)
    if settlement is None:
        return [SagaChanged(saga, partition)]
    return [SagaChanged(saga, partition), *_settled(settlement, state, local_stock)]


def _reserve(
    owner: InventoryState, sku: str, order_id: str, quantity: int
) -> tuple[LineResult, list[Output]]:
    current = owner.stock_of(sku)
    updated, reserved = stock_rules.reserve(current, quantity)
    owner.stock[sku] = updated
    result = LineResult(order_id, sku, quantity, reserved, current.available)
    return result, [StockChanged(updated, order_id)] if reserved else []


def _release(owner: InventoryState, sku: str, order_id: str, quantity: int) -> StockChanged:
    owner.stock[sku] = stock_rules.release(owner.stock_of(sku), quantity)
    return StockChanged(owner.stock[sku], order_id)


def _settled(settlement: Settlement, state: InventoryState, local_stock: LocalStock) -> list[Output]:
    """The settlement, and for a rejection the release of every line that was held; the
    saga is done with, and only its order id is kept."""
    order = settlement.order
    del state.sagas[order.order_id]
    state.settled.add(order.order_id)
    outputs: list[Output] = [settlement]
    if isinstance(settlement, Rejected):
        order_id = order.order_id
        for line in settlement.releases:
            owner = local_stock(line.sku)
            if owner is None:
                outputs.append(ReleaseLine(line.sku, order_id, line.quantity))
            else:
                outputs.append(_release(owner, line.sku, order_id, line.quantity))
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

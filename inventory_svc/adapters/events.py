"""Inventory's topics and the translation between their Protobuf records and the domain."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.inventory.v1 import events_pb2 as inv
from orderflow.order.v1.events_pb2 import OrderCreated

from inventory_svc.domain.commands import ReleaseLine, ReserveLine, SetOnHand, StockCommand
from inventory_svc.domain.saga import LineResult, OrderSaga, PlacedOrder, lines_by_sku
from inventory_svc.domain.stock import Stock
from orderflow_platform import topics
from orderflow_platform.kafka.serde import to_datetime

ORDERS = topics.ORDERS_CREATED
COMMANDS = topics.INVENTORY_COMMANDS
STOCK = topics.INVENTORY_STOCK
LINE_RESULTS = topics.INVENTORY_LINE_RESULTS
PROGRESS = topics.INVENTORY_PROGRESS
RESERVED = topics.INVENTORY_RESERVED
FAILED = topics.INVENTORY_FAILED
DEFAULT_CURRENCY = "USD"


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def now() -> Timestamp:
    return timestamp(datetime.now(UTC))


class InvalidEvent(ValueError):
    """An event that decoded but can never be acted on."""


def placed_order(event: OrderCreated) -> PlacedOrder:
    if not event.order_id or not event.user_id:
        raise InvalidEvent("order_id and user_id are required")
    if not event.items or any(item.quantity <= 0 or not item.sku for item in event.items):
        raise InvalidEvent("an order needs items, each with a sku and a positive quantity")
    return PlacedOrder(
        order_id=event.order_id,
        user_id=event.user_id,
        lines=lines_by_sku([(item.sku, item.quantity) for item in event.items]),
        total_cents=event.total_cents,
        created_at=to_datetime(event.created_at),
        # A V1 event has no currency: its prices were dollars.
        currency=event.currency or DEFAULT_CURRENCY,
        contact_email=event.contact_email,
    )


def stock_command(record: inv.StockCommand) -> StockCommand:
    action = record.WhichOneof("action")
    if not record.sku or action is None:
        raise InvalidEvent("a stock command needs a sku and an action")
    if action == "set_on_hand":
        return SetOnHand(record.sku, record.set_on_hand.request_id, record.set_on_hand.quantity)
    if action == "reserve":
        r = record.reserve
        return ReserveLine(record.sku, r.order_id, r.quantity, r.reply_partition)
    return ReleaseLine(record.sku, record.release.order_id, record.release.quantity)


def stock_command_record(command: StockCommand) -> inv.StockCommand:
    match command:
        case SetOnHand(sku, request_id, quantity):
            return inv.StockCommand(
                sku=sku, set_on_hand=inv.SetOnHand(request_id=request_id, quantity=quantity)
            )
        case ReserveLine(sku, order_id, quantity, reply_partition):
            reserve = inv.ReserveLine(order_id=order_id, quantity=quantity, reply_partition=reply_partition)
            return inv.StockCommand(sku=sku, reserve=reserve)
        case ReleaseLine(sku, order_id, quantity):
            return inv.StockCommand(sku=sku, release=inv.ReleaseLine(order_id=order_id, quantity=quantity))


def stock(record: inv.StockLevel) -> Stock:
    return Stock(record.sku, record.on_hand, record.reserved)


def stock_level(value: Stock, cause_id: str) -> inv.StockLevel:
    return inv.StockLevel(
        sku=value.sku, on_hand=value.on_hand, reserved=value.reserved, updated_at=now(), cause_id=cause_id
    )


def line_result(record: inv.LineResult) -> LineResult:
    return LineResult(
        record.order_id, record.sku, record.quantity_requested, record.reserved, record.quantity_available
    )


def line_result_record(result: LineResult) -> inv.LineResult:
    return inv.LineResult(
        order_id=result.order_id,
        sku=result.sku,
        quantity_requested=result.quantity_requested,
        reserved=result.reserved,
        quantity_available=result.quantity_available,
    )


def saga(record: inv.OrderProgress) -> OrderSaga:
    order = PlacedOrder(
        order_id=record.order_id,
        user_id=record.user_id,
        lines=lines_by_sku([(line.sku, line.quantity) for line in record.lines]),
        total_cents=record.total_cents,
        created_at=to_datetime(record.created_at),
        # Sagas started before V2 recorded no currency.
        currency=record.currency or DEFAULT_CURRENCY,
        contact_email=record.contact_email,
    )
    results = {r.sku: line_result(r) for r in record.results}
    return OrderSaga(order, results, record.settled)


def progress_record(value: OrderSaga) -> inv.OrderProgress:
    order = value.order
    if value.settled:
        # All that is read back of a settled saga: its order, to ignore if it comes again.
        placed_at = timestamp(order.created_at)
        return inv.OrderProgress(order_id=order.order_id, created_at=placed_at, settled=True)
    return inv.OrderProgress(
        order_id=order.order_id,
        user_id=order.user_id,
        lines=[inv.ReservedItem(sku=line.sku, quantity=line.quantity) for line in order.lines],
        total_cents=order.total_cents,
        created_at=timestamp(order.created_at),
        results=[line_result_record(r) for r in value.results.values()],
        settled=value.settled,
        currency=order.currency,
        contact_email=order.contact_email,
    )


def reserved_record(order: PlacedOrder) -> inv.OrderReserved:
    return inv.OrderReserved(
        order_id=order.order_id,
        user_id=order.user_id,
        items=[inv.ReservedItem(sku=line.sku, quantity=line.quantity) for line in order.lines],
        total_cents=order.total_cents,
        reserved_at=now(),
        currency=order.currency,
        contact_email=order.contact_email,
    )


def rejected_record(order: PlacedOrder, short: LineResult, reason: str) -> inv.OrderRejected:
    return inv.OrderRejected(
        order_id=order.order_id,
        user_id=order.user_id,
        sku=short.sku,
        quantity_requested=short.quantity_requested,
        quantity_available=short.quantity_available,
        reason=reason,
        rejected_at=now(),
        contact_email=order.contact_email,
    )

"""Kafka records -> projector domain events (protobuf stays here, at the edge)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import Message
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import SerializationError
from google.protobuf.message import Message as ProtoMessage
from orderflow.inventory.v1.events_pb2 import OrderRejected, OrderReserved, StockLevel
from orderflow.metrics.v1.events_pb2 import OrderRateWindow
from orderflow.order.v1.events_pb2 import OrderCreated

from orderflow_platform.kafka.serde import ProtobufCodec, to_datetime
from orderflow_platform.stream.records import PoisonMessage
from orderflow_platform.topics import (
    INVENTORY_FAILED,
    INVENTORY_RESERVED,
    INVENTORY_STOCK,
    ORDER_RATE,
    ORDERS_CREATED,
)
from projector.domain.model import (
    Event,
    MinuteCounted,
    OrderDecided,
    OrderLine,
    OrderPlaced,
    Status,
    StockChanged,
)

TOPICS = (ORDERS_CREATED, INVENTORY_RESERVED, INVENTORY_FAILED, INVENTORY_STOCK, ORDER_RATE)
M = TypeVar("M", bound=ProtoMessage)
DEFAULT_CURRENCY = "USD"


def placed(m: OrderCreated) -> OrderPlaced:
    lines = tuple(OrderLine(i.sku, i.quantity, i.unit_price_cents) for i in m.items)
    return OrderPlaced(
        m.order_id,
        m.user_id,
        lines,
        m.total_cents,
        m.idempotency_key,
        to_datetime(m.created_at),
        # A V1 event has no currency: its prices were dollars.
        m.currency or DEFAULT_CURRENCY,
    )


def confirmed(m: OrderReserved) -> OrderDecided:
    return OrderDecided(m.order_id, m.user_id, Status.CONFIRMED, "", to_datetime(m.reserved_at))


def rejected(m: OrderRejected) -> OrderDecided:
    return OrderDecided(m.order_id, m.user_id, Status.REJECTED, m.reason, to_datetime(m.rejected_at))


def stock_changed(m: StockLevel) -> StockChanged:
    return StockChanged(m.sku, m.on_hand, m.reserved, to_datetime(m.updated_at), m.cause_id)


def minute_counted(m: OrderRateWindow) -> MinuteCounted:
    return MinuteCounted(to_datetime(m.window_start), m.order_count)


class EventDecoder:
    """Decodes a record of any of TOPICS; raises PoisonMessage for one it cannot use."""

    def __init__(self, registry: SchemaRegistryClient) -> None:
        self._by_topic: dict[str, Callable[[bytes], Event]] = {
            ORDERS_CREATED: self._reader(registry, ORDERS_CREATED, OrderCreated, placed),
            INVENTORY_RESERVED: self._reader(registry, INVENTORY_RESERVED, OrderReserved, confirmed),
            INVENTORY_FAILED: self._reader(registry, INVENTORY_FAILED, OrderRejected, rejected),
            INVENTORY_STOCK: self._reader(registry, INVENTORY_STOCK, StockLevel, stock_changed),
            ORDER_RATE: self._reader(registry, ORDER_RATE, OrderRateWindow, minute_counted),
        }

    @staticmethod
    def _reader(
        registry: SchemaRegistryClient, topic: str, message_type: type[M], to_event: Callable[[M], Event]
    ) -> Callable[[bytes], Event]:
        codec = ProtobufCodec(registry, message_type, auto_register=False)
        return lambda data: to_event(codec.decode(topic, data))

    def decode(self, message: Message) -> Event:
        topic, value = str(message.topic()), message.value()
        if value is None:
            raise PoisonMessage("record has no value")
        try:
            return self._by_topic[topic](value)
        except (SerializationError, ValueError, TypeError) as error:
            raise PoisonMessage(f"undecodable {topic} record: {error}") from error

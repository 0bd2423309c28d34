"""inventory.reserved and inventory.failed records as the outcomes the domain knows."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import Message
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import SerializationError
from orderflow.inventory.v1.events_pb2 import OrderRejected, OrderReserved

from notify_svc.domain.model import Line, OrderConfirmed, Outcome, OutOfStock
from orderflow_platform import topics
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.stream.records import PoisonMessage

RESERVED = topics.INVENTORY_RESERVED
FAILED = topics.INVENTORY_FAILED
TOPICS = (RESERVED, FAILED)
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class ReceivedOutcome:
    outcome: Outcome
    # The record as it came, kept with the notice for the DLQ should delivery be given up.
    topic: str
    value: bytes


def confirmed(event: OrderReserved) -> OrderConfirmed:
    if not event.order_id or not event.user_id or not event.items:
        raise PoisonMessage("OrderReserved needs order_id, user_id and items")
    lines = tuple(Line(item.sku, item.quantity) for item in event.items)
    # An outcome of a V1 order has no currency: its prices were dollars.
    currency = event.currency or DEFAULT_CURRENCY
    return OrderConfirmed(
        event.order_id, event.user_id, lines, event.total_cents, currency, event.contact_email
    )


def out_of_stock(event: OrderRejected) -> OutOfStock:
    if not event.order_id or not event.user_id or not event.sku:
        raise PoisonMessage("OrderRejected needs order_id, user_id and sku")
    return OutOfStock(
        event.order_id,
        event.user_id,
        event.sku,
        event.quantity_requested,
        event.quantity_available,
        event.contact_email,
    )


class OutcomeDecoder:
    def __init__(self, registry: SchemaRegistryClient) -> None:
        self._reserved = ProtobufCodec(registry, OrderReserved)
        self._rejected = ProtobufCodec(registry, OrderRejected)

    def decode(self, message: Message) -> ReceivedOutcome:
        topic, value = str(message.topic()), message.value()
        if value is None:
            raise PoisonMessage("no value")
        try:
            if topic == RESERVED:
                return ReceivedOutcome(confirmed(self._reserved.decode(topic, value)), topic, value)
            return ReceivedOutcome(out_of_stock(self._rejected.decode(topic, value)), topic, value)
        except SerializationError as error:
            raise PoisonMessage(f"undecodable: {error}") from error

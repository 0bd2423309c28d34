"""The orders.created topic as the order log: one OrderCreated per order, keyed by user."""

from __future__ import annotations

import httpx
from confluent_kafka import Producer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import SerializationError
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem
from prometheus_client import Counter

from order_svc.domain.model import Order
from order_svc.domain.ports import LogUnavailable
from orderflow_platform.kafka.clients import trace_headers
from orderflow_platform.kafka.delivery import AcknowledgedProducer, DeliveryFailed
from orderflow_platform.kafka.serde import ProtobufCodec

TOPIC = "orders.created"
PUBLISHED = Counter("orderflow_order_events_published_total", "OrderCreated events acknowledged by Kafka")
PUBLISH_FAILURES = Counter("orderflow_order_events_failed_total", "OrderCreated events Kafka did not take")


def to_event(order: Order) -> OrderCreated:
    created_at = Timestamp()
    created_at.FromDatetime(order.created_at)
    return OrderCreated(
        order_id=order.order_id,
        user_id=order.user_id,
        items=[
            OrderItem(sku=line.sku, quantity=line.quantity, unit_price_cents=line.unit_price_cents)
            for line in order.lines
        ],
        total_cents=order.total_cents,
        idempotency_key=order.idempotency_key or "",
        created_at=created_at,
    )


class KafkaOrderLog:
    """Appends through an idempotent acks=all producer; returns once the broker has it."""

    def __init__(self, producer: Producer, codec: ProtobufCodec[OrderCreated]) -> None:
        self._producer = AcknowledgedProducer(producer, "order-log")
        self._codec = codec

    async def append(self, order: Order, trace_id: str | None) -> None:
        try:
            value = self._codec.encode(TOPIC, to_event(order))
            await self._producer.send(TOPIC, order.user_id.encode(), value, trace_headers(trace_id))
        except (DeliveryFailed, SerializationError, SchemaRegistryError, httpx.HTTPError) as error:
            PUBLISH_FAILURES.inc()
            raise LogUnavailable(str(error)) from error
        PUBLISHED.inc()

    def close(self, timeout: float = 10.0) -> int:
        """Flushes what is in flight; returns how many events were not delivered."""
        return self._producer.close(timeout)

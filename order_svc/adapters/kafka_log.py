"""The orders.created topic as the order log: one OrderCreated per order, keyed by user."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from confluent_kafka import Consumer, KafkaException, Message, Producer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import SerializationError
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem
from prometheus_client import Counter

from order_svc.domain.model import Order
from order_svc.domain.ports import LogUnavailable
from orderflow_platform import topics
from orderflow_platform.kafka.clients import trace_headers
from orderflow_platform.kafka.delivery import AcknowledgedProducer, DeliveryFailed
from orderflow_platform.kafka.log_search import find_since
from orderflow_platform.kafka.serde import ProtobufCodec, RegistryUnavailable

TOPIC = topics.ORDERS_CREATED
# Lets the log be searched for an order without the registry (see KafkaOrderLog.holds).
ORDER_ID_HEADER = "order_id"
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
        currency=order.currency,
        contact_email=order.contact_email or "",
    )


class KafkaOrderLog:
    """Appends through an idempotent acks=all producer; returns once the broker has it.

    Searches with a fresh read_committed consumer from `searcher` each time: searches are
    rare (only after an attempt without a known outcome) and may run side by side.
    """

    def __init__(
        self,
        producer: Producer,
        codec: ProtobufCodec[OrderCreated],
        searcher: Callable[[], Consumer],
        search_timeout: float,
    ) -> None:
        self._producer = AcknowledgedProducer(producer, "order-log")
        self._codec = codec
        self._searcher = searcher
        self._search_timeout = search_timeout

    async def append(self, order: Order, trace_id: str | None) -> None:
        headers = [*trace_headers(trace_id), (ORDER_ID_HEADER, order.order_id.encode())]
        try:
            value = self._codec.encode(TOPIC, to_event(order))
            await self._producer.send(TOPIC, order.user_id.encode(), value, headers)
        except (
            DeliveryFailed,
            SerializationError,
            RegistryUnavailable,
            SchemaRegistryError,
            httpx.HTTPError,
        ) as error:
            PUBLISH_FAILURES.inc()
            raise LogUnavailable(str(error)) from error
        PUBLISHED.inc()

    async def holds(self, order: Order, since: datetime) -> bool:
        """Reads the user's partition of orders.created from `since` to its end."""
        try:
            return await asyncio.to_thread(self._search, order, since)
        except (KafkaException, TimeoutError, RegistryUnavailable) as error:
            raise LogUnavailable(f"searching {TOPIC}: {error}") from error

    def _search(self, order: Order, since: datetime) -> bool:
        def is_this_order(message: Message) -> bool:
            headers = dict(message.headers() or [])
            if ORDER_ID_HEADER in headers:
                return headers[ORDER_ID_HEADER] == order.order_id.encode()
            value = message.value()
            try:
                # Written before order ids travelled in a header.
                return value is not None and self._codec.decode(TOPIC, value).order_id == order.order_id
            except SerializationError:
                return False  # never decodable, so not an event of this service

        consumer = self._searcher()
        try:
            return find_since(
                consumer,
                TOPIC,
                order.user_id.encode(),
                since,
                matches=is_this_order,
                timeout=self._search_timeout,
            )
        finally:
            consumer.close()

    def schemas(self) -> list[tuple[str, ProtobufCodec[Any]]]:
        """What this log writes, by topic: registered before the service reports ready."""
        return [(TOPIC, self._codec)]

    def close(self, timeout: float = 10.0) -> int:
        """Flushes what is in flight; returns how many events were not delivered."""
        return self._producer.close(timeout)

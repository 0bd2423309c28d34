"""The orders.created topic as the order log: one OrderCreated per order, keyed by user."""

from __future__ import annotations

import asyncio
import threading

import httpx
from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import SerializationError
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem
from prometheus_client import Counter

from order_svc.domain.model import Order
from order_svc.domain.ports import LogUnavailable
from orderflow_platform.kafka.clients import trace_headers
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
    """Produces through an idempotent acks=all producer polled by a background thread."""

    def __init__(self, producer: Producer, codec: ProtobufCodec[OrderCreated]) -> None:
        self._producer = producer
        self._codec = codec
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="order-log-poller", daemon=True)
        self._poller.start()

    async def append(self, order: Order, trace_id: str | None) -> None:
        loop = asyncio.get_running_loop()
        delivered: asyncio.Future[None] = loop.create_future()

        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            (PUBLISHED if error is None else PUBLISH_FAILURES).inc()
            outcome = LogUnavailable(str(error)) if error is not None else None
            loop.call_soon_threadsafe(_settle, delivered, outcome)

        try:
            value = self._codec.encode(TOPIC, to_event(order))
            self._producer.produce(
                TOPIC,
                key=order.user_id.encode(),
                value=value,
                headers=trace_headers(trace_id),
                on_delivery=on_delivery,
            )
        except (
            BufferError,
            KafkaException,
            SerializationError,
            SchemaRegistryError,
            httpx.HTTPError,
        ) as error:
            PUBLISH_FAILURES.inc()
            raise LogUnavailable(str(error)) from error
        await delivered

    def close(self, timeout: float = 10.0) -> int:
        """Flushes what is in flight; returns how many events were not delivered."""
        self._stopping.set()
        self._poller.join()
        return int(self._producer.flush(timeout))

    def _poll(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(0.05)


def _settle(future: asyncio.Future[None], error: Exception | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)

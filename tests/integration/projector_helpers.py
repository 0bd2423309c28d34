"""Events produced straight to the projector's topics, and its rows read back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from confluent_kafka import Producer
from google.protobuf.message import Message
from orderflow.inventory.v1.events_pb2 import OrderRejected, OrderReserved, ReservedItem, StockLevel
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem

from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def unique_minute(unique: str) -> datetime:
    """A minute no other test uses, so its orders_per_minute count is this test's alone."""
    return EPOCH + timedelta(minutes=int(unique, 16) % 10_000_000)


class Events:
    def __init__(self, settings: Settings) -> None:
        registry = self._registry = clients.registry_client(settings.registry)
        self._codecs: dict[type[Message], ProtobufCodec[Any]] = {
            t: ProtobufCodec(registry, t) for t in (OrderCreated, OrderReserved, OrderRejected, StockLevel)
        }
        self._producer: Producer = clients.producer(settings.kafka, partitioner="murmur2_random")

    def encode(self, topic: str, message: Message) -> bytes:
        return self._codecs[type(message)].encode(topic, message)

    def send(self, topic: str, key: str, message: Message) -> None:
        self._producer.produce(topic, self.encode(topic, message), key.encode())
        self._producer.poll(0)

    def send_raw(self, topic: str, key: str, value: bytes) -> None:
        self._producer.produce(topic, value, key.encode())

    def flush(self) -> None:
        assert self._producer.flush(30) == 0

    def created(
        self,
        user_id: str,
        at: datetime,
        order_id: str | None = None,
        *,
        lines: int = 1,
        currency: str = "",
        as_version: type[Message] = OrderCreated,
    ) -> str:
        """An OrderCreated of SKUs nobody stocks: inventory_svc, which reads it too, rejects it.

        `as_version` writes it with a past version's schema (its fields that version lacks dropped).
        """
        order_id = order_id or str(uuid.uuid4())
        sku = f"NOSTOCK-{user_id.upper()[-12:]}"
        items = [OrderItem(sku=f"{sku}-{n}", quantity=n, unit_price_cents=100) for n in range(1, lines + 1)]
        message = OrderCreated(
            order_id=order_id,
            user_id=user_id,
            items=items,
            total_cents=sum(i.quantity * 100 for i in items),
            currency=currency,
        )
        message.created_at.FromDatetime(at)
        if as_version is OrderCreated:
            self.send("orders.created", user_id, message)
        else:
            past = as_version.FromString(message.SerializeToString())
            codec = ProtobufCodec(self._registry, as_version)
            self._producer.produce("orders.created", codec.encode("orders.created", past), user_id.encode())
        return order_id

    def reserved(self, order_id: str, user_id: str, at: datetime) -> None:
        message = OrderReserved(
            order_id=order_id, user_id=user_id, items=[ReservedItem(sku="SKU-1", quantity=1)]
        )
        message.reserved_at.FromDatetime(at)
        self.send("inventory.reserved", order_id, message)

    def rejected(self, order_id: str, user_id: str, at: datetime, reason: str) -> None:
        message = OrderRejected(order_id=order_id, user_id=user_id, sku="SKU-1", reason=reason)
        message.rejected_at.FromDatetime(at)
        self.send("inventory.failed", order_id, message)


def scalar(settings: Settings, query: str, *params: object) -> Any:
    with psycopg.connect(settings.postgres.dsn) as conn:
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def user_rows(settings: Settings, user_id: str) -> list[tuple[Any, ...]]:
    """Every read-model row of the user's orders, in a stable order."""
    with psycopg.connect(settings.postgres.dsn) as conn:
        return conn.execute(
            "SELECT o.*, l.*, h.* FROM orders o"
            " JOIN order_lines l USING (order_id) JOIN order_status_history h USING (order_id)"
            " WHERE o.user_id = %s ORDER BY o.order_id, l.line_no, h.status",
            (user_id,),
        ).fetchall()

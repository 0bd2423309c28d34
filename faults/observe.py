"""The run's own data as the stack holds it: new records on the topics (read_committed), the
read models and outbox in Postgres, and the mailbox folder."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx
import psycopg
from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import SerializationError
from google.protobuf.message import DecodeError
from orderflow.inventory.v1 import events_pb2 as inv
from orderflow.order.v1.events_pb2 import OrderCreated

from devstack.spec import VAR
from faults import topology
from faults.channels import ENVOY_URL
from faults.model import Created, Line, Notice, Observed, Outcome, Parked, RunIds, StockLevel
from mail_catcher.mailbox import RECEIPTS, file_name
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import KafkaSettings, Settings
from tests.integration.helpers import eventually

MAILBOX = VAR / "mail"
SWEEP_SECONDS = 20.0
START_SECONDS = 60.0
MAIL_KINDS = ("confirmed", "out_of_stock")
# The registry's answers about the record rather than about itself (not 408 or 429).
NEVER_DECODABLE = frozenset({400, 404, 422})
OUTCOME_TOPICS = (topology.RESERVED, topology.FAILED)
WATCHED = (topology.ORDERS, topology.STOCK, *OUTCOME_TOPICS, *map(topology.dlq, topology.INPUT_TOPICS))


class Unobservable(Exception):
    """The stack cannot be read right now (a broker or Postgres is down)."""


class TopicTail:
    """Records appended to some topics since it was made, one sweep to their current end at a time."""

    def __init__(self, settings: KafkaSettings, topics: Sequence[str], group: str) -> None:
        self._settings, self._group = settings, group
        self._next = eventually(lambda: self._ends(topics), START_SECONDS, every=1.0)
        self._read = dict(self._next)

    def _ends(self, topics: Sequence[str]) -> dict[tuple[str, int], int] | None:
        """Each partition's current end; None while the broker cannot say (it may be restarting)."""
        reader = clients.consumer(self._settings, self._group)
        try:
            metadata = reader.list_topics(timeout=10).topics
            partitions = [TopicPartition(t, p) for t in topics for p in metadata[t].partitions]
            return {(tp.topic, tp.partition): reader.get_watermark_offsets(tp, 10)[1] for tp in partitions}
        except KafkaException:
            return None
        finally:
            reader.close()

    def sweep(self) -> list[Message]:
        """Every committed record since the last advance; Unobservable when the end is not reached."""
        self._read = dict(self._next)
        reader = clients.consumer(self._settings, self._group, **{"enable.partition.eof": True})
        records: list[Message] = []
        try:
            reader.assign([TopicPartition(t, p, offset) for (t, p), offset in self._read.items()])
            remaining, deadline = set(self._read), time.monotonic() + SWEEP_SECONDS
            while remaining and time.monotonic() < deadline:
                for message in reader.consume(1000, 0.5):
                    error, where = message.error(), (str(message.topic()), int(message.partition() or 0))
                    if error is None:
                        records.append(message)
                        self._read[where] = int(message.offset() or 0) + 1
                    elif error.code() == KafkaError._PARTITION_EOF:
                        remaining.discard(where)
        finally:
            reader.close()
        if remaining:
            raise Unobservable(f"{len(remaining)} partitions not read to their end in {SWEEP_SECONDS}s")
        return records

    def advance(self) -> None:
        """The records of the last sweep are taken: the next sweep starts after them."""
        self._next = dict(self._read)


class Observer:
    def __init__(self, settings: Settings, ids: RunIds) -> None:
        self._ids, self._dsn = ids, settings.postgres.dsn
        registry = clients.registry_client(settings.registry)
        self._codecs: dict[str, ProtobufCodec[Any]] = {
            topology.ORDERS: ProtobufCodec(registry, OrderCreated),
            topology.RESERVED: ProtobufCodec(registry, inv.OrderReserved),
            topology.FAILED: ProtobufCodec(registry, inv.OrderRejected),
            topology.STOCK: ProtobufCodec(registry, inv.StockLevel),
        }
        self._tail = TopicTail(settings.kafka, WATCHED, f"faults-{ids.run}")
        self.observed = Observed()

    def observe(self) -> Observed:
        """The topics' new records added to what was seen; Postgres and the mailbox as they are now."""
        new = Observed()
        for message in self._tail.sweep():
            self._take(message, new)
        self._tail.advance()
        seen = self.observed
        seen.created += new.created
        seen.outcomes += new.outcomes
        seen.parked += new.parked
        for sku, changes in new.stock_changes.items():
            seen.stock_changes.setdefault(sku, []).extend(changes)
        self._read_postgres()
        self._read_stock_api()
        self._read_mailbox()
        return seen

    def _take(self, message: Message, new: Observed) -> None:
        topic, key, value = (
            str(message.topic()),
            (message.key() or b"").decode(errors="replace"),
            message.value(),
        )
        if topic.endswith(".dlq"):
            if key.startswith(self._ids.poison_prefix):
                new.parked.append(parked(message))
            return
        if value is None or key.startswith(self._ids.poison_prefix):
            return
        if topic == topology.ORDERS and not key.startswith(self._ids.user_prefix):
            return
        if topic == topology.STOCK and not key.startswith(self._ids.sku_prefix):
            return
        event = self._decode(topic, value)
        if event is None:
            return
        if topic == topology.ORDERS:
            new.created.append(Created(event.order_id, event.user_id, event.idempotency_key))
        elif topic == topology.STOCK:
            new.stock_changes.setdefault(event.sku, []).append(StockLevel(event.on_hand, event.reserved))
        elif event.user_id.startswith(self._ids.user_prefix):
            confirmed = topic == topology.RESERVED
            lines = tuple(Line(i.sku, i.quantity) for i in event.items) if confirmed else ()
            new.outcomes.append(Outcome(event.order_id, confirmed, lines))

    def _decode(self, topic: str, value: bytes) -> Any:
        """The event; None for a record that can never be decoded (someone else's: ours are checked
        through the consumers' DLQs); Unobservable while the registry cannot be asked."""
        try:
            return self._codecs[topic].decode(topic, value)
        except (SerializationError, DecodeError):
            return None
        except SchemaRegistryError as error:
            if error.http_status_code in NEVER_DECODABLE:
                return None
            raise Unobservable(f"registry: {error}") from error
        except httpx.HTTPError as error:
            raise Unobservable(f"registry: {error}") from error

    def _read_postgres(self) -> None:
        users, skus = f"{self._ids.user_prefix}%", f"{self._ids.sku_prefix}%"
        try:
            with psycopg.connect(self._dsn, connect_timeout=5) as conn:
                orders = conn.execute("SELECT order_id, status FROM orders WHERE user_id LIKE %s", (users,))
                order_rows: dict[str, str] = dict(orders.fetchall())
                stock = conn.execute(
                    "SELECT sku, on_hand, reserved FROM stock_levels WHERE sku LIKE %s", (skus,)
                )
                stock_rows = {
                    sku: StockLevel(on_hand, reserved) for sku, on_hand, reserved in stock.fetchall()
                }
                outbox = conn.execute(
                    "SELECT order_id, sink, kind, state FROM notification_outbox WHERE user_id LIKE %s",
                    (users,),
                ).fetchall()
        except psycopg.OperationalError as error:
            raise Unobservable(f"Postgres: {error}") from error
        notices: dict[str, list[Notice]] = {}
        for order_id, sink, kind, state in outbox:
            notices.setdefault(order_id, []).append(Notice(sink, kind, state))
        self.observed.order_rows, self.observed.stock_rows, self.observed.notices = (
            order_rows,
            stock_rows,
            notices,
        )

    def _read_stock_api(self) -> None:
        reads = {}
        try:
            with httpx.Client(base_url=ENVOY_URL, timeout=5.0) as client:
                for sku in self.observed.stock_changes:
                    stock = client.get(f"/v1/inventory/{sku}").raise_for_status().json()
                    # proto3 JSON may leave a zero out.
                    reads[sku] = (
                        int(stock.get("on_hand", 0)),
                        int(stock.get("reserved", 0)),
                        int(stock.get("available", 0)),
                    )
        except httpx.HTTPError as error:
            raise Unobservable(f"GetStock: {error!r}") from error
        self.observed.stock_reads = reads

    def _read_mailbox(self) -> None:
        present = set(os.listdir(MAILBOX)) if MAILBOX.exists() else set()
        receipts = MAILBOX / RECEIPTS
        received = Counter(receipts.read_text().split()) if receipts.exists() else Counter()
        self.observed.resent = {
            outcome.order_id
            for outcome in self.observed.outcomes
            if any(received[f"<{k}.{outcome.order_id}@orderflow>"] > 1 for k in MAIL_KINDS)
        }
        self.observed.mails = {
            outcome.order_id: {
                k for k in MAIL_KINDS if file_name(f"<{k}.{outcome.order_id}@orderflow>") in present
            }
            for outcome in self.observed.outcomes
        }


def parked(message: Message) -> Parked:
    raw = message.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    headers = {name: value.decode() if isinstance(value, bytes) else str(value) for name, value in pairs}
    return Parked(
        headers.get("dlq_consumer", "?"),
        headers.get("dlq_topic", "?"),
        int(headers.get("dlq_partition", "-1")),
        int(headers.get("dlq_offset", "-1")),
    )

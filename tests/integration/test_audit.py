"""The audit log: Kafka Connect's JDBC sink writing every event into Postgres schema audit.

Each test writes events of its own (unique order ids and users) to the live topics and
reads them back from the audit tables, which the application role may read.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, cast

import httpx
import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem
from psycopg import sql
from psycopg.rows import dict_row

from orderflow_ops import audit
from orderflow_ops.connect import AUDIT_CONNECTOR, state
from orderflow_ops.settings import OpsSettings
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually
from tests.integration.inventory_helpers import kill_and_await_restart
from tests.integration.poison import KINDS, poison
from tests.integration.schema_history import order_created

ORDERS = "orders.created"
DLQ = "audit.dlq"
SUPERUSER = "postgresql://postgres:postgres@localhost:5432/orderflow"


class Audit:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.codec = ProtobufCodec(clients.registry_client(settings.registry), OrderCreated)
        self.v1_codec = ProtobufCodec(clients.registry_client(settings.registry), order_created("v1"))
        self.producer: Producer = clients.producer(settings.kafka, partitioner="murmur2_random")
        self.connect = httpx.Client(base_url=OpsSettings().connect.url, timeout=10.0)

    def order(self, user: str, *, v1: bool = False, sku: str = "AUDIT-NONE") -> str:
        """Appends an OrderCreated (V1 as it was written, else V2 in euros); returns its id."""
        created_at = Timestamp()
        created_at.GetCurrentTime()
        event = OrderCreated(
            order_id=str(uuid.uuid4()),
            user_id=user,
            items=[OrderItem(sku=sku, quantity=1, unit_price_cents=250)],
            total_cents=250,
            created_at=created_at,
        )
        if v1:
            value = self.v1_codec.encode(ORDERS, order_created("v1").FromString(event.SerializeToString()))
        else:
            event.currency, event.contact_email = "EUR", f"{user}@corp.test"
            value = self.codec.encode(ORDERS, event)
        self.producer.produce(ORDERS, key=user.encode(), value=value)
        return event.order_id

    def rows(self, table: str, order_ids: list[str]) -> list[dict[str, Any]]:
        with psycopg.connect(self.settings.postgres.dsn, row_factory=dict_row) as connection:
            query = sql.SQL("SELECT * FROM {} WHERE order_id = ANY(%s)").format(
                sql.Identifier("audit", table)
            )
            return connection.execute(query, (order_ids,)).fetchall()

    def landed(
        self, table: str, order_ids: list[str], deadline_seconds: float = 60.0
    ) -> list[dict[str, Any]]:
        """The rows of these orders once every one has at least one, within the deadline."""

        def all_there() -> list[dict[str, Any]] | None:
            rows = self.rows(table, order_ids)
            return rows if {row["order_id"] for row in rows} == set(order_ids) else None

        return eventually(all_there, deadline_seconds, every=0.5)

    def running(self, deadline_seconds: float = 120.0) -> None:
        def tasks_running() -> bool:
            try:
                current = state(self.connect, AUDIT_CONNECTOR)
            except httpx.HTTPError:
                return False
            return current is not None and current.running

        eventually(tasks_running, deadline_seconds, every=0.5)

    def close(self) -> None:
        self.producer.flush(30)
        self.connect.close()


@pytest.fixture
def sink(settings: Settings) -> Iterator[Audit]:
    harness = Audit(settings)
    harness.running()
    yield harness
    harness.close()


def test_an_orders_events_land_once_each_v1_and_v2_with_its_columns(sink: Audit, unique: str) -> None:
    v1_order = sink.order(f"audit-v1-{unique}", v1=True)
    v2_order = sink.order(f"audit-v2-{unique}")
    assert sink.producer.flush(30) == 0

    created = {row["order_id"]: row for row in sink.landed("orders_created", [v1_order, v2_order])}
    # No stock of the SKU: each order is rejected, its outcome on inventory.failed.
    outcomes = sink.landed("inventory_failed", [v1_order, v2_order])

    assert len(created) == 2 and len(sink.rows("orders_created", [v1_order, v2_order])) == 2
    assert sorted(row["order_id"] for row in outcomes) == sorted([v1_order, v2_order])
    v1, v2 = created[v1_order], created[v2_order]
    assert v1["schema_id"] != v2["schema_id"]
    assert (v1["currency"], v1["contact_email"]) == (None, None)
    assert (v2["currency"], v2["contact_email"]) == ("EUR", f"audit-v2-{unique}@corp.test")
    assert v2["event_type"] == "orderflow.order.v1.OrderCreated"
    assert f'"order_id":"{v2_order}"' in str(v2["payload"])

    with psycopg.connect(sink.settings.postgres.dsn) as connection:
        trail = audit.trail(connection, v2_order)
    assert [entry.topic for entry in trail] == [ORDERS, "inventory.failed"]
    assert trail[0].time <= trail[1].time


def test_the_application_role_reads_the_audit_but_cannot_write_it(sink: Audit) -> None:
    with (
        psycopg.connect(sink.settings.postgres.dsn) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        connection.execute("DELETE FROM audit.orders_created WHERE false")


def test_kill_9_of_the_worker_and_a_connector_restart_repeat_no_row(sink: Audit, unique: str) -> None:
    order_ids: list[str] = []
    stop = threading.Event()

    def stream() -> None:
        i = 0
        while not stop.is_set():
            order_ids.append(sink.order(f"audit-kill-{unique}-{i % 5}", v1=i % 4 == 0))
            sink.producer.poll(0)
            i += 1
            time.sleep(0.02)

    writer = threading.Thread(target=stream)
    writer.start()
    try:
        eventually(lambda: len(order_ids) >= 10)
        sink.landed("orders_created", order_ids[:10])
        kill_and_await_restart("connect")
        sink.running()
        # 409 while the worker's group rebalances: asked again until it takes it.
        eventually(
            lambda: (
                sink.connect.post(
                    f"/connectors/{AUDIT_CONNECTOR}/restart", params={"includeTasks": "true"}
                ).is_success
            ),
            60,
            every=0.5,
        )
        sink.running()
    finally:
        stop.set()
        writer.join()
    assert sink.producer.flush(30) == 0

    rows = sink.landed("orders_created", order_ids, 120)
    assert len(rows) == len(order_ids) == len({row["order_id"] for row in rows})


@pytest.mark.parametrize("kind", KINDS)
def test_a_poison_record_lands_on_the_dlq_and_later_events_still_arrive(
    sink: Audit, unique: str, kind: str
) -> None:
    reader: Consumer = clients.consumer(sink.settings.kafka, group_id=f"test-{unique}")
    partitions = reader.list_topics(DLQ, timeout=10).topics[DLQ].partitions
    reader.assign(
        [TopicPartition(DLQ, p, reader.get_watermark_offsets(TopicPartition(DLQ, p))[1]) for p in partitions]
    )
    key = f"audit-poison-{unique}".encode()
    valid = sink.codec.encode(ORDERS, OrderCreated(order_id=str(uuid.uuid4()), user_id=key.decode()))
    sink.producer.produce(ORDERS, key=key, value=poison(kind, valid))
    later = sink.order(key.decode())
    assert sink.producer.flush(30) == 0

    def parked() -> dict[str, str] | None:
        message = reader.poll(0.5)
        if message is None or message.error() is not None or message.key() != key:
            return None
        # A consumer's headers are (name, bytes) pairs; Connect writes each error header as UTF-8.
        raw = cast(list[tuple[str, bytes | None]], message.headers() or [])
        return {name: (value or b"").decode() for name, value in raw}

    headers = eventually(parked, 60, every=0)
    reader.close()
    assert headers["__connect.errors.topic"] == ORDERS
    assert headers["__connect.errors.stage"] == "VALUE_CONVERTER"
    assert headers["__connect.errors.exception.class.name"] == "org.apache.kafka.connect.errors.DataException"
    sink.landed("orders_created", [later])


def test_the_audit_resumes_by_itself_after_postgres_refused_the_sink(sink: Audit, unique: str) -> None:
    # Postgres down, for the sink alone: its role may not log in and its sessions are cut.
    with psycopg.connect(SUPERUSER, autocommit=True) as admin:
        admin.execute("ALTER ROLE audit_writer NOLOGIN")
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'audit_writer'"
            )
            order_id = sink.order(f"audit-outage-{unique}")
            assert sink.producer.flush(30) == 0
            time.sleep(15)  # the outage itself, not a wait for a result
            assert sink.rows("orders_created", [order_id]) == []
        finally:
            admin.execute("ALTER ROLE audit_writer LOGIN")
    assert len(sink.landed("orders_created", [order_id], 90)) == 1
    sink.running()

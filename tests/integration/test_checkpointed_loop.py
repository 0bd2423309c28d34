"""The stream loop committing by Postgres checkpoint, on its own: a handler that appends a
row per record (no upsert, so a record processed twice would show), across restarts, with
poison parked on the DLQ."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import pytest
from confluent_kafka import Message, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client import REGISTRY

from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.settings import Settings
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.loop import Batching
from orderflow_platform.stream.postgres_checkpoint import checkpointed_loop
from orderflow_platform.stream.records import OutRecord, PoisonMessage, dead_letter
from tests.integration.helpers import DeadLetterQueue, create_topic, eventually
from tests.integration.tcp_proxy import TcpProxy

UNAVAILABLE = "orderflow_checkpointed_postgres_unavailable_total"


class Appender:
    def __init__(self, table: str, registry_outages: int = 0) -> None:
        self._table = table
        # How many decodes fail as if the schema registry were down, before it comes back.
        self._outages = registry_outages

    def decode(self, message: Message) -> int:
        if self._outages > 0:
            self._outages -= 1
            raise RegistryUnavailable("the registry is down")
        value = message.value() or b""
        if not value.isdigit():
            raise PoisonMessage("not a number")
        return int(value)

    def write(self, conn: psycopg.Connection, batch: Sequence[int]) -> None:
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {self._table} (n) VALUES (%s)", [(n,) for n in batch])


@pytest.fixture
def table(settings: Settings, unique: str) -> Iterator[str]:
    name = f"checkpointed_{unique}"
    with psycopg.connect(settings.postgres.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {name} (id serial PRIMARY KEY, n int NOT NULL)")
        yield name
        conn.execute(f"DROP TABLE {name}")
        conn.execute("DELETE FROM consumer_checkpoints WHERE consumer = %s", (name,))


def rows(settings: Settings, table: str) -> list[Any]:
    with psycopg.connect(settings.postgres.dsn) as conn:
        return [r[0] for r in conn.execute(f"SELECT n FROM {table} ORDER BY n")]


def run_until(
    settings: Settings, table: str, topic: str, expected: list[int], handler: Appender | None = None
) -> None:
    done = Shutdown()
    loop = checkpointed_loop(
        settings.kafka,
        settings.postgres.dsn,
        consumer_name=table,
        topics=[topic],
        handler=handler or Appender(table),
    )
    runner = threading.Thread(target=loop.run, args=(done,))
    runner.start()
    try:
        eventually(lambda: rows(settings, table) == expected)
    finally:
        done.request()
        runner.join()
    assert rows(settings, table) == expected  # and nothing more once it stopped


def test_each_record_is_written_once_across_restarts(settings: Settings, table: str, unique: str) -> None:
    topic = f"test.checkpointed.{unique}"
    admin: AdminClient = clients.admin_client(settings.kafka)
    create_topic(admin, topic)
    create_topic(admin, f"{topic}.dlq")
    producer = clients.producer(settings.kafka)
    for n in range(500):
        producer.produce(topic, str(n).encode(), str(n).encode())
    producer.produce(topic, b"poison", b"p")
    assert producer.flush(30) == 0
    run_until(settings, table, topic, list(range(500)))
    for n in range(500, 800):
        producer.produce(topic, str(n).encode(), str(n).encode())
    assert producer.flush(30) == 0
    run_until(settings, table, topic, list(range(800)))
    dlq = clients.consumer(settings.kafka, f"test-{unique}")
    try:
        dlq.subscribe([f"{topic}.dlq"])
        parked = eventually(lambda: dlq.poll(0.5))
        assert parked.value() == b"poison"
        assert dict(parked.headers() or [])["dlq_reason"] == b"not a number"
    finally:
        dlq.close()


def numbered_topic(settings: Settings, unique: str, count: int, poison_at: int | None = None) -> str:
    """A topic of `count` numbers keyed by themselves, with one poison record after `poison_at`."""
    topic = f"test.checkpointed.{unique}"
    admin: AdminClient = clients.admin_client(settings.kafka)
    create_topic(admin, topic, partitions=1)
    create_topic(admin, f"{topic}.dlq", partitions=1)
    producer = clients.producer(settings.kafka)
    for n in range(count):
        producer.produce(topic, str(n).encode(), str(n).encode())
        if n == poison_at:
            producer.produce(topic, b"poison", b"p")
    assert producer.flush(30) == 0
    return topic


def test_a_record_parked_by_a_run_that_died_before_its_checkpoint_is_not_parked_again(
    settings: Settings, table: str, unique: str
) -> None:
    topic = numbered_topic(settings, unique, 10, poison_at=4)
    # What a run that parked the poison (offset 5) and was killed before storing its
    # offsets leaves behind: the DLQ record, and no checkpoint.
    earlier = dead_letter_of(settings, topic, offset=5, consumer=table)
    dlq = DeadLetterQueue(clients.consumer(settings.kafka, f"test-{unique}"), topic)
    producer = clients.producer(settings.kafka)
    producer.produce(earlier.topic, earlier.value, earlier.key, headers=earlier.headers)
    assert producer.flush(30) == 0
    try:
        run_until(settings, table, topic, list(range(10)))
        assert dlq.count(b"p", by=table) == 1
    finally:
        dlq.close()


def test_a_registry_outage_holds_the_batch_back_and_parks_nothing(
    settings: Settings, table: str, unique: str
) -> None:
    topic = numbered_topic(settings, unique, 50)
    dlq = DeadLetterQueue(clients.consumer(settings.kafka, f"test-{unique}"), topic)
    try:
        run_until(settings, table, topic, list(range(50)), Appender(table, registry_outages=3))
        assert all(dlq.count(str(n).encode(), by=table) == 0 for n in range(50))
    finally:
        dlq.close()


def dead_letter_of(settings: Settings, topic: str, offset: int, consumer: str) -> OutRecord:
    reader = clients.consumer(settings.kafka, f"test-reader-{consumer}")
    try:
        reader.assign([TopicPartition(topic, 0, offset)])
        message = eventually(lambda: reader.poll(0.5))
        assert message.offset() == offset and message.value() == b"poison"
        return dead_letter(message, "not a number", consumer)
    finally:
        reader.close()


def test_postgres_going_away_and_back_loses_and_repeats_nothing(
    settings: Settings, table: str, unique: str
) -> None:
    topic = numbered_topic(settings, unique, 300)
    proxy = TcpProxy(5432)
    dsn = settings.postgres.dsn.replace("localhost:5432", f"127.0.0.1:{proxy.port}")
    done = Shutdown()
    loop = checkpointed_loop(
        settings.kafka,
        dsn,
        consumer_name=table,
        topics=[topic],
        handler=Appender(table),
        batching=Batching(max_records=50, linger_seconds=0.05),
    )
    runner = threading.Thread(target=loop.run, args=(done,))
    runner.start()  # Postgres is not there yet: the loop waits for it instead of failing
    try:
        eventually(lambda: REGISTRY.get_sample_value(UNAVAILABLE, {"consumer": table}) or None)
        proxy.open()
        eventually(lambda: len(rows(settings, table)) >= 100)
        proxy.cut()  # mid-stream, as a Postgres restart would
        proxy.open()
        eventually(lambda: rows(settings, table) == list(range(300)), 60)
    finally:
        done.request()
        try:
            proxy.open()
        finally:
            # Joined whatever happened to the proxy: a loop left running outlives the test,
            # and its session holds the table that the fixture drops.
            runner.join()
            proxy.cut()
    assert runner.is_alive() is False and rows(settings, table) == list(range(300))

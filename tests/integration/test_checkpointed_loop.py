"""CheckpointedLoop on its own: a handler that appends a row per record (no upsert, so a
record processed twice would show), across restarts, with poison parked on the DLQ."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import pytest
from confluent_kafka import Message
from confluent_kafka.admin import AdminClient

from orderflow_platform.kafka import clients
from orderflow_platform.kafka.checkpointed import CheckpointedLoop, PoisonMessage
from orderflow_platform.settings import Settings
from orderflow_platform.shutdown import Shutdown
from tests.integration.helpers import create_topic, eventually


class Appender:
    def __init__(self, table: str) -> None:
        self._table = table

    def decode(self, message: Message) -> int:
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


def run_until(settings: Settings, table: str, topic: str, expected: list[int]) -> None:
    done = Shutdown()
    loop = CheckpointedLoop(
        settings.kafka, settings.postgres.dsn, consumer_name=table, topics=[topic], handler=Appender(table)
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

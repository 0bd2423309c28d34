"""The checkpoint store in Postgres: table `consumer_checkpoints` (consumer, topic,
partition, next_offset), written in the same transaction as the consumer's rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg

from orderflow_platform.stream.checkpoints import FROM_BEGINNING, Refused, StoreUnavailable, Transaction
from orderflow_platform.stream.metrics import POSTGRES_UNAVAILABLE
from orderflow_platform.stream.records import Position

Connection = psycopg.Connection[Any]


class PostgresCheckpoints:
    """One consumer's rows of `consumer_checkpoints`, in the caller's transaction."""

    def __init__(self, cursor: psycopg.Cursor[Any], consumer: str) -> None:
        self._cursor, self._consumer = cursor, consumer

    def lock(self) -> dict[Position, int]:
        self._cursor.execute(
            "SELECT topic, partition, next_offset FROM consumer_checkpoints WHERE consumer = %s FOR UPDATE",
            (self._consumer,),
        )
        return {(topic, partition): offset for topic, partition, offset in self._cursor.fetchall()}

    def claim(self, partitions: Iterable[Position]) -> None:
        self._cursor.executemany(
            "INSERT INTO consumer_checkpoints (consumer, topic, partition, next_offset)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(self._consumer, topic, partition, FROM_BEGINNING) for topic, partition in partitions],
        )

    def store(self, next_offsets: Mapping[Position, int]) -> None:
        self._cursor.executemany(
            "INSERT INTO consumer_checkpoints (consumer, topic, partition, next_offset)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (consumer, topic, partition)"
            " DO UPDATE SET next_offset = EXCLUDED.next_offset",
            [
                (self._consumer, topic, partition, offset)
                for (topic, partition), offset in next_offsets.items()
            ],
        )

    def replace(self, next_offsets: Mapping[Position, int]) -> None:
        self._cursor.execute("DELETE FROM consumer_checkpoints WHERE consumer = %s", (self._consumer,))
        self.store(next_offsets)


class PostgresCheckpointStore:
    """Transactions on one connection, made on first use and again after it broke."""

    def __init__(self, connect: Callable[[], Connection], consumer: str) -> None:
        self._connect, self._consumer = connect, consumer
        self._conn: Connection | None = None

    @classmethod
    def at(cls, dsn: str, consumer: str) -> PostgresCheckpointStore:
        return cls(lambda: psycopg.connect(dsn, autocommit=True), consumer)

    @contextmanager
    def transaction(self) -> Iterator[Transaction[Connection]]:
        conn = self._connection()
        try:
            with conn.transaction(), conn.cursor() as cursor:
                yield Transaction(conn, PostgresCheckpoints(cursor, self._consumer))
        except (psycopg.DataError, psycopg.IntegrityError) as refused:
            raise Refused(str(refused)) from refused
        except psycopg.OperationalError as lost:
            self.close()
            raise StoreUnavailable(str(lost)) from lost

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = self._connect()
            except psycopg.OperationalError as error:
                POSTGRES_UNAVAILABLE.labels(self._consumer).inc()
                raise StoreUnavailable(str(error)) from error
        return self._conn


@contextmanager
def refusals() -> Iterator[None]:
    """Postgres refusing values, as the runtime's Refused (for writes outside a store)."""
    try:
        yield
    except (psycopg.DataError, psycopg.IntegrityError) as refused:
        raise Refused(str(refused)) from refused

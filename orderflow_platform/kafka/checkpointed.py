"""A consumer loop that is exactly-once into Postgres: offsets live beside the writes.

Each batch's writes and the partitions' next offsets (table `consumer_checkpoints`) are
committed in one Postgres transaction, and on assignment the consumer seeks to the
stored offsets; Kafka's own committed offsets are never used. A batch is either wholly
in the database, position included, or not at all, whatever process dies when.

The stored offsets also fence: each transaction locks the consumer's checkpoint rows and
checks they still hold what this process last wrote. When they do not (a zombie member
after a rebalance, or a replay that swapped in rebuilt tables with their own offsets),
the batch is rolled back and the consumer rewinds to the stored offsets.

Bad input never stops the stream: a record the handler cannot decode, or one whose values
Postgres refuses (the batch is then split in halves until it is alone), goes to
`<topic>.dlq` with the reason in its headers, and the offsets move past it. It is parked
once: the DLQ write and the offsets cannot share a transaction, so on assignment the loop
reads which of the partitions' records past the stored offsets it has parked already (a
crash between the two) and does not park those again. A registry that cannot be reached
is not bad input: the batch is dropped unwritten and read again after a backoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

import psycopg
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from prometheus_client import Counter, Histogram

from orderflow_platform.backoff import Backoff
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.kafka.transactional import DEAD_LETTERS, PoisonMessage, dead_letter, read_to_end
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.shutdown import Shutdown

__all__ = [
    "BatchHandler",
    "CheckpointedLoop",
    "PoisonMessage",
    "Position",
    "read_checkpoints",
    "store_checkpoints",
]

log = get_logger(__name__)
RECORDS = Counter("orderflow_checkpointed_records_total", "Records written to Postgres", ["consumer"])
BATCH_SECONDS = Histogram(
    "orderflow_checkpointed_batch_seconds",
    "Time to write one batch and its offsets",
    ["consumer"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
POSTGRES_UNAVAILABLE = Counter(
    "orderflow_checkpointed_postgres_unavailable_total",
    "Attempts to reach Postgres that failed (the loop waits and tries again)",
    ["consumer"],
)
# librdkafka's OFFSET_BEGINNING: a partition this consumer has not processed yet.
FROM_BEGINNING = -2
DLQ_FLUSH_SECONDS = 10.0

T = TypeVar("T")
Position = tuple[str, int]
# A record by where it is: topic, partition, offset.
Origin = tuple[str, int, int]


class BatchHandler(Protocol[T]):
    """The application inside the loop: decodes records, then writes a batch of them."""

    def decode(self, message: Message) -> T:
        """The record's meaning; raises PoisonMessage when it can never be used."""

    def write(self, conn: psycopg.Connection, batch: Sequence[T]) -> None:
        """Writes the batch through `conn`, inside the transaction that stores the offsets.

        Redelivery cannot happen inside one consumer, but an event may be duplicated in
        the topic itself, so writes should still be idempotent.
        """


def read_checkpoints(cursor: psycopg.Cursor[Any], consumer: str) -> dict[Position, int]:
    """The consumer's stored offsets, locked until the transaction ends."""
    cursor.execute(
        "SELECT topic, partition, next_offset FROM consumer_checkpoints WHERE consumer = %s FOR UPDATE",
        (consumer,),
    )
    return {(topic, partition): offset for topic, partition, offset in cursor.fetchall()}


def store_checkpoints(cursor: psycopg.Cursor[Any], consumer: str, next_offsets: dict[Position, int]) -> None:
    cursor.executemany(
        "INSERT INTO consumer_checkpoints (consumer, topic, partition, next_offset) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
        [(consumer, topic, partition, offset) for (topic, partition), offset in next_offsets.items()],
    )


def _position(message: Message) -> Position:
    return (str(message.topic()), int(message.partition() or 0))


class StaleCheckpoint(Exception):
    """Another writer moved this consumer's offsets since this process last wrote them."""


class CheckpointedLoop(Generic[T]):
    def __init__(
        self,
        settings: KafkaSettings,
        dsn: str,
        *,
        consumer_name: str,
        topics: Sequence[str],
        handler: BatchHandler[T],
        max_batch: int = 2000,
        poll_seconds: float = 0.05,
    ) -> None:
        self._settings, self._dsn, self._name = settings, dsn, consumer_name
        self._topics, self._handler = list(topics), handler
        self._max_batch, self._poll_seconds = max_batch, poll_seconds
        # Made on first use, and again after Postgres went away (see _connection).
        self._conn: psycopg.Connection[Any] | None = None
        # Per assigned partition, the offset this process last stored (or found on assignment).
        self._known: dict[Position, int] = {}
        # Records past the stored offsets that this consumer has parked already.
        self._parked: set[Origin] = set()
        self._shutdown = Shutdown()
        self._backoff = Backoff()
        self._dlq: Producer = clients.producer(settings)
        self._consumer: Consumer = clients.consumer(
            settings,
            consumer_name,
            # Eager assignment, so on_assign can hand the consumer its start offsets.
            **{"partition.assignment.strategy": "range", "session.timeout.ms": 10_000},
        )

    def run(self, shutdown: Shutdown) -> None:
        self._shutdown = shutdown
        self._consumer.subscribe(
            self._topics, on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._revoked
        )
        try:
            while not shutdown.requested:
                messages = self._consumer.consume(self._max_batch, self._poll_seconds)
                if messages:
                    self._process(messages)
        finally:
            self._consumer.close()
            self._dlq.flush(DLQ_FLUSH_SECONDS)
            if self._conn is not None:
                self._conn.close()

    def _process(self, messages: list[Message]) -> None:
        decoded: list[tuple[Message, T]] = []
        poison: list[tuple[Message, str]] = []
        next_offsets: dict[Position, int] = {}
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer error", error=str(error))
                continue
            position = _position(message)
            if position not in self._known:
                continue  # revoked while this batch was being fetched
            next_offsets[position] = int(message.offset() or 0) + 1
            try:
                decoded.append((message, self._handler.decode(message)))
            except PoisonMessage as bad:
                poison.append((message, str(bad)))
            except RegistryUnavailable as unavailable:
                log.warning("schema registry unavailable; reading the batch again", error=str(unavailable))
                self._backoff.wait(self._shutdown)
                self._rewind()
                return
        self._backoff.reset()
        for message, reason in poison:
            self._park(message, reason)
        if next_offsets:
            self._commit(decoded, next_offsets)

    def _park(self, message: Message, reason: str) -> None:
        origin = (str(message.topic()), int(message.partition() or 0), int(message.offset() or 0))
        if origin in self._parked:
            log.info("already parked", topic=origin[0], partition=origin[1], offset=origin[2])
            return
        record = dead_letter(message, reason, self._name)
        self._dlq.produce(record.topic, record.value, record.key, headers=record.headers)
        self._parked.add(origin)
        DEAD_LETTERS.labels(message.topic()).inc()
        log.warning("dead-lettered", topic=message.topic(), offset=message.offset(), reason=reason)

    def _already_parked(self, starts: list[TopicPartition]) -> set[Origin]:
        """What this consumer parked of the partitions' records from their start offsets on."""
        start_of = {(tp.topic, tp.partition): tp.offset for tp in starts}
        parked: set[Origin] = set()
        for topic in {tp.topic for tp in starts}:
            dlq = f"{topic}.dlq"
            partitions = self._consumer.list_topics(dlq, timeout=10).topics[dlq].partitions
            for record in read_to_end(self._settings, dlq, set(partitions)):
                headers = dict(clients.header_pairs(record.headers()))
                if headers.get("dlq_consumer") != self._name.encode():
                    continue
                origin = (topic, int(headers["dlq_partition"]), int(headers["dlq_offset"]))
                start = start_of.get(origin[:2])
                # FROM_BEGINNING (negative): every record of the partition is still to come.
                if start is not None and origin[2] >= max(start, 0):
                    parked.add(origin)
        return parked

    def _commit(self, decoded: list[tuple[Message, T]], next_offsets: dict[Position, int]) -> None:
        try:
            try:
                self._transact([item for _, item in decoded], next_offsets)
            except (psycopg.DataError, psycopg.IntegrityError) as refused:
                log.warning(
                    "postgres refused the batch; looking for the records it refuses", error=str(refused)
                )
                # Per partition, records are in offset order, so each half's offsets only move forward.
                self._bisect(decoded)
                self._transact([], next_offsets)
        except StaleCheckpoint:
            log.warning("checkpoints moved by another writer; rewinding", consumer=self._name)
            self._rewind()
        except psycopg.OperationalError as error:
            # The commit may or may not have happened: only the stored offsets can say, once
            # Postgres answers again.
            log.warning("postgres failed; rewinding to the stored offsets", error=str(error))
            self._drop_connection()
            self._rewind()

    def _bisect(self, decoded: list[tuple[Message, T]]) -> None:
        """Writes the records in halves until the ones Postgres refuses are alone; parks those."""
        offsets = {_position(m): int(m.offset() or 0) + 1 for m, _ in decoded}
        try:
            self._transact([item for _, item in decoded], offsets)
        except (psycopg.DataError, psycopg.IntegrityError) as refused:
            if len(decoded) == 1:
                self._park(decoded[0][0], f"refused by postgres: {refused}")
                self._transact([], offsets)
                return
            half = len(decoded) // 2
            self._bisect(decoded[:half])
            self._bisect(decoded[half:])

    def _transact(self, batch: list[T], next_offsets: dict[Position, int]) -> None:
        """Writes the batch and the offsets in one transaction, if no one else moved them."""
        # The DLQ has the batch's poison before its offsets move past it: at-least-once there.
        if self._dlq.flush(DLQ_FLUSH_SECONDS) > 0:
            raise RuntimeError("dead-letter queue unreachable")
        conn = self._connection()
        with (
            BATCH_SECONDS.labels(self._name).time(),
            conn.transaction(),
            conn.cursor() as cur,
        ):
            stored = read_checkpoints(cur, self._name)
            if any(stored.get(p, FROM_BEGINNING) != self._known[p] for p in next_offsets):
                raise StaleCheckpoint
            self._handler.write(conn, batch)
            store_checkpoints(cur, self._name, next_offsets)
        self._known.update(next_offsets)
        RECORDS.labels(self._name).inc(len(batch))

    def _rewind(self) -> None:
        for tp in self._start_offsets(self._consumer.assignment()):
            self._consumer.seek(tp)

    def _start_offsets(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        """The stored offsets of the partitions, waiting while Postgres is unreachable."""
        while True:
            try:
                stored = self._read_start_offsets(partitions)
                break
            except psycopg.OperationalError as error:
                if self._shutdown.requested:
                    raise
                log.warning("postgres unavailable; waiting for the stored offsets", error=str(error))
                self._drop_connection()
                self._backoff.wait(self._shutdown)
        starts = []
        for tp in partitions:
            offset = stored.get((tp.topic, tp.partition), FROM_BEGINNING)
            self._known[(tp.topic, tp.partition)] = offset
            starts.append(TopicPartition(tp.topic, tp.partition, offset))
        return starts

    def _read_start_offsets(self, partitions: list[TopicPartition]) -> dict[Position, int]:
        conn = self._connection()
        with conn.transaction(), conn.cursor() as cur:
            # A row for every partition, so that the lock each batch takes covers it.
            cur.executemany(
                "INSERT INTO consumer_checkpoints (consumer, topic, partition, next_offset)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(self._name, tp.topic, tp.partition, FROM_BEGINNING) for tp in partitions],
            )
            return read_checkpoints(cur, self._name)

    def _connection(self) -> psycopg.Connection[Any]:
        """The connection, made again after the last one broke; waits while Postgres is down."""
        while self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = psycopg.connect(self._dsn, autocommit=True)
            except psycopg.OperationalError as error:
                if self._shutdown.requested:
                    raise
                POSTGRES_UNAVAILABLE.labels(self._name).inc()
                log.warning("postgres unavailable; waiting", error=str(error))
                self._backoff.wait(self._shutdown)
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        starts = self._start_offsets(partitions)
        self._parked = self._already_parked(starts)
        consumer.assign(starts)
        log.info("assigned", consumer=self._name, partitions=len(partitions))

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self._known.pop((tp.topic, tp.partition), None)

"""Commit by checkpoint: a batch's rows and its partitions' next offsets in one transaction
of a CheckpointStore (Postgres), never in Kafka.

On assignment the consumer seeks to the stored offsets, so a batch is either wholly in the
database, position included, or not at all, whatever process dies when. The stored offsets
also fence: each transaction locks the consumer's checkpoints and checks they still hold
what this process last wrote. When they do not (a zombie member after a rebalance, or a
replay that swapped in rebuilt tables with their own offsets), the batch is rolled back
and the consumer rewinds to the stored offsets.

Bad input never stops the stream: a record the handler cannot decode, or one the store
refuses (the batch is then split in halves until it is alone), goes to `<topic>.dlq` with
the reason in its headers, and the offsets move past it. It is parked once: the DLQ write
and the offsets cannot share a transaction, so on assignment the strategy reads which of
the partitions' records past the stored offsets it has parked already (a crash between
the two) and does not park those again. A registry or a store that cannot be reached is
not bad input: the batch is dropped unwritten and read again after a backoff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from confluent_kafka import Message, TopicPartition

from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.stream.checkpoints import (
    FROM_BEGINNING,
    CheckpointStore,
    Refused,
    StoreUnavailable,
)
from orderflow_platform.stream.loop import Attached, Batching, StreamLoop, lag_reporter, parked, sort_out
from orderflow_platform.stream.metrics import BATCH_SECONDS, REBALANCED, RECORDS
from orderflow_platform.stream.ports import StreamProducer
from orderflow_platform.stream.postgres_checkpoints import PostgresCheckpointStore
from orderflow_platform.stream.reading import bisect, read_to_end
from orderflow_platform.stream.records import Origin, Position, next_offsets, origin_of, position_of
from orderflow_platform.topics import dead_letters

log = get_logger(__name__)
T = TypeVar("T")
C = TypeVar("C")
C_contra = TypeVar("C_contra", contravariant=True)
DLQ_FLUSH_SECONDS = 10.0
BATCHING = Batching(max_records=2000, linger_seconds=0.05)
# Reads every record of a DLQ topic (from its beginning to its current end).
DeadLetterLog = Callable[[str], Iterable[Message]]


class BatchHandler(Protocol[T, C_contra]):
    """The application inside the loop: decodes records, then writes a batch of them."""

    def decode(self, message: Message) -> T:
        """The record's meaning; raises PoisonMessage when it can never be used."""

    def write(self, conn: C_contra, batch: Sequence[T]) -> None:
        """Writes the batch through `conn`, inside the transaction that stores the offsets.

        Redelivery cannot happen inside one consumer, but an event may be duplicated in
        the topic itself, so writes should still be idempotent.
        """


class StaleCheckpoint(Exception):
    """Another writer moved this consumer's offsets since this process last wrote them."""


class CheckpointCommit(Attached, Generic[T, C]):
    """A CommitStrategy over a CheckpointStore; the consumer's own commits are never used."""

    def __init__(
        self,
        name: str,
        handler: BatchHandler[T, C],
        store: CheckpointStore[C],
        dlq: StreamProducer,
        dead_letter_log: DeadLetterLog,
    ) -> None:
        super().__init__()
        self._name, self._handler, self._store = name, handler, store
        self._dlq, self._dead_letter_log = dlq, dead_letter_log
        # Per assigned partition, the offset this process last stored (or found on assignment).
        self._known: dict[Position, int] = {}
        # Records past the stored offsets that this consumer has parked already.
        self._parked: set[Origin] = set()
        self._joined = False

    def ready(self) -> bool:
        return self._joined

    def close(self) -> None:
        self._dlq.flush(DLQ_FLUSH_SECONDS)
        self._store.close()

    def handle(self, batch: list[Message]) -> None:
        # Records of partitions revoked while this batch was being fetched are not ours.
        batch = [message for message in batch if position_of(message) in self._known]
        if not batch:
            return
        try:
            decoded, poison = sort_out(batch, self._handler.decode)
        except RegistryUnavailable as unavailable:
            log.warning("schema registry unavailable; reading the batch again", error=str(unavailable))
            self._backoff.wait(self._shutdown)
            self._rewind()
            return
        self._backoff.reset()
        for message, reason in poison:
            self._park(message, reason)
        self._commit(decoded, next_offsets(batch))

    def _park(self, message: Message, reason: str) -> None:
        origin = origin_of(message)
        if origin in self._parked:
            log.info("already parked", topic=origin[0], partition=origin[1], offset=origin[2])
            return
        record = parked(message, reason, self._name)
        self._dlq.produce(record.topic, record.value, record.key, headers=record.headers)
        self._parked.add(origin)

    def _already_parked(self, starts: list[TopicPartition]) -> set[Origin]:
        """What this consumer parked of the partitions' records from their start offsets on."""
        start_of = {(tp.topic, tp.partition): tp.offset for tp in starts}
        parked_before: set[Origin] = set()
        for topic in {tp.topic for tp in starts}:
            for record in self._dead_letter_log(dead_letters(topic)):
                headers = dict(clients.header_pairs(record.headers()))
                if headers.get("dlq_consumer") != self._name.encode():
                    continue
                origin = (topic, int(headers["dlq_partition"]), int(headers["dlq_offset"]))
                start = start_of.get(origin[:2])
                # FROM_BEGINNING (negative): every record of the partition is still to come.
                if start is not None and origin[2] >= max(start, 0):
                    parked_before.add(origin)
        return parked_before

    def _commit(self, decoded: list[tuple[Message, T]], offsets: dict[Position, int]) -> None:
        try:
            try:
                self._transact([item for _, item in decoded], offsets)
            except Refused as refused:
                log.warning(
                    "the store refused the batch; looking for the records it refuses", error=str(refused)
                )
                # Per partition, records are in offset order, so each half's offsets only move forward.
                bisect(decoded, self._write_alone, self._park_refused)
                self._transact([], offsets)
        except StaleCheckpoint:
            log.warning("checkpoints moved by another writer; rewinding", consumer=self._name)
            self._rewind()
        except StoreUnavailable as error:
            # The commit may or may not have happened: only the stored offsets can say, once
            # the store answers again.
            log.warning("store failed; rewinding to the stored offsets", error=str(error))
            self._rewind()

    def _write_alone(self, decoded: Sequence[tuple[Message, T]]) -> None:
        self._transact([item for _, item in decoded], next_offsets([m for m, _ in decoded]))

    def _park_refused(self, refused: tuple[Message, T], error: Refused) -> None:
        message = refused[0]
        self._park(message, f"refused by postgres: {error}")
        self._transact([], next_offsets([message]))

    def _transact(self, batch: list[T], offsets: dict[Position, int]) -> None:
        """Writes the batch and the offsets in one transaction, if no one else moved them."""
        # The DLQ has the batch's poison before its offsets move past it: at-least-once there.
        if self._dlq.flush(DLQ_FLUSH_SECONDS) > 0:
            raise RuntimeError("dead-letter queue unreachable")
        with BATCH_SECONDS.labels(self._name).time(), self._store.transaction() as tx:
            stored = tx.checkpoints.lock()
            if any(stored.get(p, FROM_BEGINNING) != self._known[p] for p in offsets):
                raise StaleCheckpoint
            self._handler.write(tx.connection, batch)
            tx.checkpoints.store(offsets)
        self._known.update(offsets)
        RECORDS.labels(self._name).inc(len(batch))

    def _rewind(self) -> None:
        for tp in self._start_offsets(self.consumer.assignment()):
            self.consumer.seek(tp)

    def _start_offsets(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        """The stored offsets of the partitions, waiting while the store is unreachable."""
        while True:
            try:
                with self._store.transaction() as tx:
                    # A checkpoint for every partition, so that the lock each batch takes covers it.
                    tx.checkpoints.claim((tp.topic, tp.partition) for tp in partitions)
                    stored = tx.checkpoints.lock()
                break
            except StoreUnavailable as error:
                if self._shutdown.requested:
                    raise
                log.warning("store unavailable; waiting for the stored offsets", error=str(error))
                self._backoff.wait(self._shutdown)
        starts = []
        for tp in partitions:
            offset = stored.get((tp.topic, tp.partition), FROM_BEGINNING)
            self._known[(tp.topic, tp.partition)] = offset
            starts.append(TopicPartition(tp.topic, tp.partition, offset))
        return starts

    def assigned(self, partitions: list[TopicPartition]) -> None:
        starts = self._start_offsets(partitions)
        self._parked = self._already_parked(starts)
        self.consumer.assign(starts)
        REBALANCED.labels(self._name, "assigned").inc(len(partitions))
        self._joined = True
        log.info("assigned", consumer=self._name, partitions=len(partitions))

    def revoked(self, partitions: list[TopicPartition]) -> None:
        REBALANCED.labels(self._name, "revoked").inc(len(partitions))
        for tp in partitions:
            self._known.pop((tp.topic, tp.partition), None)


def checkpointed_loop(
    settings: KafkaSettings,
    dsn: str,
    *,
    consumer_name: str,
    topics: Sequence[str],
    handler: BatchHandler[T, Any],
    batching: Batching = BATCHING,
) -> StreamLoop:
    """The loop over Kafka's clients and Postgres, rows and offsets in one transaction."""
    consumer = clients.consumer(
        settings,
        consumer_name,
        # Eager assignment, so on_assign can hand the consumer its start offsets.
        **{
            **clients.BATCHED_FETCH,
            "partition.assignment.strategy": "range",
            "session.timeout.ms": 10_000,
            "statistics.interval.ms": 5000,
            "stats_cb": lag_reporter(consumer_name),
        },
    )
    store = PostgresCheckpointStore.at(dsn, consumer_name)
    strategy = CheckpointCommit(
        consumer_name, handler, store, clients.producer(settings), lambda dlq: read_to_end(settings, dlq)
    )
    return StreamLoop(consumer, topics, strategy, batching)

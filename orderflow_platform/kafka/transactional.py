"""The exactly-once consume-transform-produce loop, one Kafka transaction per batch.

Each batch's outputs and the consumer's next offsets are committed together
(`send_offsets_to_transaction` with the group metadata, so a zombie of an older
generation is fenced, KIP-447). Downstream read_committed consumers see a batch whole or
not at all. When a transaction fails, nothing of it is visible: the loop throws its
in-memory state away, rebuilds it from the changelogs and resumes from the committed
offsets, so state and position always agree with what Kafka holds.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from prometheus_client import Counter, Gauge, Histogram

from orderflow_platform.backoff import Backoff
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.clients import HeaderValue
from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.shutdown import Shutdown

log = get_logger(__name__)
TRANSACTIONS = Counter(
    "orderflow_kafka_transactions_total", "Kafka transactions by result", ["group", "result"]
)
REBUILD_SECONDS = Histogram(
    "orderflow_state_rebuild_seconds",
    "Time to rebuild in-memory state from changelogs on assignment",
    ["group"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CONSUMER_LAG = Gauge("orderflow_consumer_lag", "Records not yet consumed", ["group", "topic", "partition"])
REBALANCED = Counter(
    "orderflow_partitions_rebalanced_total",
    "Partitions a member was given or gave up in rebalances",
    ["group", "change"],
)
DEAD_LETTERS = Counter("orderflow_dead_letters_total", "Messages parked on a DLQ", ["topic"])
COMMIT_TIMEOUT_SECONDS = 15.0
STABLE_OFFSETS_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class OutRecord:
    topic: str
    value: bytes | None
    key: bytes | None = None
    # None: the producer's partitioner picks it from the key.
    partition: int | None = None
    headers: list[tuple[str, HeaderValue]] = field(default_factory=list)


class PoisonMessage(Exception):
    """A message that can never be processed; it goes to `<topic>.dlq` with this reason."""


class StreamProcessor(Protocol):
    """The application inside the loop; its state is per assigned partition."""

    def load(self, partitions: Sequence[TopicPartition]) -> Callable[[], None]:
        """Reads the partitions' state from the changelogs, leaving the live state alone (it
        may run beside `process`); returns what adds it to the live state."""

    def revoked(self, partitions: Sequence[TopicPartition]) -> None:
        """Drops the state of partitions this member no longer owns."""

    def process(self, message: Message) -> list[OutRecord]:
        """The records one input gives; raises PoisonMessage for input that cannot be used."""


class Punctuator(Protocol):
    """Output driven by the clock rather than by input (a window that closes while no
    records arrive); it is committed in a transaction like any other output. It is also
    asked at the end of every batch, so a processor may write once per batch what its
    inputs changed (a changelog record per key rather than per input)."""

    def due(self) -> bool:
        """Whether `punctuate` has something to give now; cheap, asked on every poll."""

    def punctuate(self) -> list[OutRecord]:
        """The records the clock and the batch so far give now, with the state they change."""


@dataclass
class _Loading:
    """Partitions whose state is being read; `held` drops those revoked meanwhile."""

    partitions: list[TopicPartition]
    state: Future[Callable[[], None]]
    held: list[TopicPartition] = field(init=False)

    def __post_init__(self) -> None:
        self.held = list(self.partitions)


def dead_letter(message: Message, reason: str, consumer: str) -> OutRecord:
    """The message for `<topic>.dlq`; several consumers of a topic may park the same one."""
    topic = str(message.topic())
    headers: list[tuple[str, HeaderValue]] = [
        ("dlq_reason", reason.encode()),
        ("dlq_consumer", consumer.encode()),
        ("dlq_topic", topic.encode()),
        ("dlq_partition", str(message.partition()).encode()),
        ("dlq_offset", str(message.offset()).encode()),
    ]
    original = message.headers() or []
    headers += list(original.items()) if isinstance(original, dict) else list(original)
    return OutRecord(f"{topic}.dlq", message.value(), message.key(), None, headers)


def read_to_end(settings: KafkaSettings, topic: str, partitions: set[int]) -> Iterator[Message]:
    """Every committed record of the partitions, from the beginning up to their current end."""
    if not partitions:
        return
    reader = clients.consumer(
        settings, group_id="orderflow-changelog-reader", **{"enable.partition.eof": True}
    )
    try:
        reader.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        remaining = set(partitions)
        while remaining:
            for message in reader.consume(1000, 1.0):
                error = message.error()
                if error is None:
                    yield message
                elif error.code() == KafkaError._PARTITION_EOF:
                    remaining.discard(message.partition())
                else:
                    raise KafkaException(error)
    finally:
        reader.close()


class TransactionalLoop:
    def __init__(
        self,
        settings: KafkaSettings,
        *,
        group_id: str,
        transactional_id: str,
        topics: Sequence[str],
        processor: StreamProcessor,
        max_batch: int = 500,
        poll_seconds: float = 0.02,
        punctuator: Punctuator | None = None,
    ) -> None:
        self._settings, self._group, self._transactional_id = settings, group_id, transactional_id
        self._topics, self._processor, self._punctuator = list(topics), processor, punctuator
        self._max_batch, self._poll_seconds = max_batch, poll_seconds
        self._shutdown = Shutdown()
        self._backoff = Backoff()
        self._consumer = clients.consumer(
            settings,
            group_id,
            # KIP-848's protocol: a rebalance moves only the partitions that change owner,
            # and the others go on being processed meanwhile. The broker's range assignor
            # keeps partition N of every input topic on one member, which the processors
            # rely on (their inputs are co-partitioned).
            **{
                # Names the member in the group's description (a replica, not "rdkafka").
                "client.id": transactional_id,
                "group.protocol": "consumer",
                "group.remote.assignor": "range",
                "statistics.interval.ms": 5000,
                "stats_cb": self._stats,
            },
        )
        self._producer = self._new_producer()
        # Newly assigned partitions stay paused while their state is read in this thread,
        # so the partitions already held go on being processed meanwhile.
        self._loader = ThreadPoolExecutor(1, thread_name_prefix=f"{group_id}-load")
        self._loading: list[_Loading] = []
        self._joined = False
        # Set once the first assignment's state is rebuilt: the process can take requests.
        self.assigned = threading.Event()

    def run(self, shutdown: Shutdown) -> None:
        self._shutdown = shutdown
        self._consumer.subscribe(
            self._topics, on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._revoked
        )
        try:
            while not shutdown.requested:
                messages = self._consumer.consume(self._max_batch, self._poll_seconds)
                if messages or (self._punctuator is not None and self._punctuator.due()):
                    self._transact(messages)
                self._install_loaded()
        finally:
            self._consumer.close()
            self._loader.shutdown(cancel_futures=True)
            self._producer.flush(5)

    def _new_producer(self) -> Producer:
        producer = clients.producer(
            self._settings,
            transactional_id=self._transactional_id,
            partitioner="murmur2_random",
            **{"transaction.timeout.ms": 10_000, "linger.ms": 1},
        )
        # Fences any older producer with this id and aborts the transaction it left open.
        producer.init_transactions(COMMIT_TIMEOUT_SECONDS)
        return producer

    def _transact(self, messages: list[Message]) -> None:
        try:
            self._producer.begin_transaction()
            for message in messages:
                for record in self._outputs(message):
                    self._send(record)
            for record in self._punctuator.punctuate() if self._punctuator is not None else []:
                self._send(record)
            positions = [tp for tp in self._consumer.position(self._consumer.assignment()) if tp.offset >= 0]
            self._producer.send_offsets_to_transaction(
                positions, self._consumer.consumer_group_metadata(), COMMIT_TIMEOUT_SECONDS
            )
            self._producer.commit_transaction(COMMIT_TIMEOUT_SECONDS)
            TRANSACTIONS.labels(self._group, "committed").inc()
            self._backoff.reset()
        except KafkaException as failure:
            TRANSACTIONS.labels(self._group, "aborted").inc()
            self._recover(failure.args[0])
        except RegistryUnavailable as unavailable:
            # The records are fine; the registry is not. Undo the batch and try it again
            # once the registry answers, instead of dying or parking good records.
            TRANSACTIONS.labels(self._group, "aborted").inc()
            log.warning("schema registry unavailable; retrying the batch", error=str(unavailable))
            self._abort()
            self._backoff.wait(self._shutdown)
            self._restart_from_committed(self._consumer.assignment())

    def _outputs(self, message: Message) -> list[OutRecord]:
        error = message.error()
        if error is not None:
            log.warning("consumer error", error=str(error))
            return []
        try:
            records = self._processor.process(message)
        except PoisonMessage as poison:
            # Parked inside this transaction: on the DLQ exactly when the offsets move past it.
            DEAD_LETTERS.labels(message.topic()).inc()
            log.warning("dead-lettered", topic=message.topic(), offset=message.offset(), reason=str(poison))
            return [dead_letter(message, str(poison), self._group)]
        trace = clients.trace_headers(clients.trace_id_from(message.headers()))
        return [OutRecord(r.topic, r.value, r.key, r.partition, r.headers + trace) for r in records]

    def _send(self, record: OutRecord) -> None:
        extra: dict[str, Any] = {} if record.partition is None else {"partition": record.partition}
        self._producer.produce(record.topic, record.value, record.key, headers=record.headers, **extra)

    def _recover(self, error: KafkaError) -> None:
        """Nothing of the failed transaction is visible; make state and position agree again."""
        log.warning("transaction failed", error=str(error), abortable=error.txn_requires_abort())
        if error.txn_requires_abort():
            self._abort()
        else:
            # Fenced, fatal, or a commit whose outcome is unknown (a timeout): librdkafka
            # cannot tell which, so a new producer with the same id fences the old one
            # and Kafka's committed offsets say what happened.
            self._producer = self._new_producer()
        self._restart_from_committed(self._consumer.assignment())

    def _abort(self) -> None:
        try:
            self._producer.abort_transaction(COMMIT_TIMEOUT_SECONDS)
        except KafkaException as abort_failure:
            log.warning("abort failed", error=str(abort_failure))
            self._producer = self._new_producer()

    def _restart_from_committed(self, assignment: list[TopicPartition]) -> None:
        # Partitions still being read have no state and no position yet to restore.
        loading = {(tp.topic, tp.partition) for entry in self._loading for tp in entry.held}
        assignment = [tp for tp in assignment if (tp.topic, tp.partition) not in loading]
        if not assignment:
            return
        committed = self._stable_offsets(assignment)
        self._processor.revoked(assignment)
        self._processor.load(assignment)()
        for tp in committed:
            self._consumer.seek(
                TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING)
            )

    def _stable_offsets(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        # read_committed makes this wait (KIP-447 require_stable) until a previous owner's
        # transaction on these partitions is committed or aborted, so the changelogs read
        # next hold everything that transaction wrote, or none of it.
        return list(self._consumer.committed(partitions, STABLE_OFFSETS_TIMEOUT_SECONDS))

    def _load(self, partitions: list[TopicPartition]) -> Callable[[], None]:
        """Reads the partitions' state (in the loader thread), waiting out a registry outage."""
        backoff = Backoff()
        while True:
            try:
                self._stable_offsets(partitions)
                with REBUILD_SECONDS.labels(self._group).time():
                    return self._processor.load(partitions)
            except RegistryUnavailable as unavailable:
                if self._shutdown.requested:
                    raise
                log.warning("schema registry unavailable while reading state", error=str(unavailable))
                backoff.wait(self._shutdown)

    def _install_loaded(self) -> None:
        """Adds the state of partitions whose reading finished, and starts consuming them."""
        for loading in [entry for entry in self._loading if entry.state.done()]:
            self._loading.remove(loading)
            install = loading.state.result()  # a failure to read state fails the loop
            install()
            held = {(tp.topic, tp.partition) for tp in loading.held}
            self._processor.revoked([tp for tp in loading.partitions if (tp.topic, tp.partition) not in held])
            if loading.held:
                self._consumer.resume(loading.held)
            log.info("state rebuilt", partitions=len(loading.held))
        if self._joined and not self._loading:
            self.assigned.set()

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Incremental: only the newly assigned partitions are read; the others keep their
        # state and are not paused.
        consumer.incremental_assign(partitions)
        REBALANCED.labels(self._group, "assigned").inc(len(partitions))
        self._joined = True
        if partitions:
            consumer.pause(partitions)
            self._loading.append(_Loading(partitions, self._loader.submit(self._load, partitions)))

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # No transaction is open here: each batch commits before the next poll, which is
        # where rebalance callbacks run.
        REBALANCED.labels(self._group, "revoked").inc(len(partitions))
        gone = {(tp.topic, tp.partition) for tp in partitions}
        for loading in self._loading:
            loading.held = [tp for tp in loading.held if (tp.topic, tp.partition) not in gone]
        self._processor.revoked(partitions)
        log.info("partitions released", partitions=len(partitions))

    def _stats(self, stats_json: str) -> None:
        stats = json.loads(stats_json)
        for topic, topic_stats in stats.get("topics", {}).items():
            for partition, p in topic_stats.get("partitions", {}).items():
                if partition != "-1" and p.get("consumer_lag", -1) >= 0:
                    CONSUMER_LAG.labels(self._group, topic, partition).set(p["consumer_lag"])

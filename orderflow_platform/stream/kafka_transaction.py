"""Commit by Kafka transaction: a batch's outputs and its consumer's next offsets together.

The offsets go through `send_offsets_to_transaction` with the group metadata, so a zombie
of an older generation is fenced (KIP-447). Downstream read_committed consumers see a batch
whole or not at all. When a transaction fails nothing of it is visible: the in-memory state
is thrown away, read again from the changelogs, and the consumer resumes from the committed
offsets, so state and position always agree with what Kafka holds. Poison is parked inside
the transaction, so it is on the DLQ exactly when the offsets move past it.
"""

from __future__ import annotations

import faulthandler
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, Message, TopicPartition

from orderflow_platform.backoff import Backoff
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.loop import Attached, Batching, StreamLoop, lag_reporter, parked, sort_out
from orderflow_platform.stream.metrics import REBALANCED, REBUILD_SECONDS, TRANSACTIONS
from orderflow_platform.stream.ports import StreamConsumer, TransactionalProducer
from orderflow_platform.stream.records import OutRecord

log = get_logger(__name__)
COMMIT_TIMEOUT_SECONDS = 15.0
STABLE_OFFSETS_TIMEOUT_SECONDS = 60.0
# A transaction ends within its calls' timeouts (offsets and commit, 15 s each) or fails.
# librdkafka can block in `send_offsets_to_transaction` past its timeout when the broker it
# cached as group coordinator went away (confluentinc/librdkafka#5511, open): the aggregator
# once sat in a transaction for minutes after a broker restart, processing nothing. Only a
# new process, whose producer fences this one, gets out of that.
STUCK_TRANSACTION_SECONDS = 60.0
# The exit status of a process whose transaction is stuck; its supervisor starts it again.
EXIT_STUCK = 75
BATCHING = Batching(max_records=500, linger_seconds=0.02)


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


def _exit_stuck(seconds: float) -> None:
    """Ends the process at once: a graceful stop would wait on the stuck thread. Every
    thread's stack goes to stderr first, so the log shows which call never returned."""
    log.error("transaction stuck; exiting for the supervisor to start afresh", open_seconds=round(seconds, 1))
    faulthandler.dump_traceback(all_threads=True)
    os._exit(EXIT_STUCK)


def _keys(partitions: Sequence[TopicPartition]) -> set[tuple[str, int]]:
    return {(tp.topic, tp.partition) for tp in partitions}


class KafkaTransactionCommit(Attached):
    """A CommitStrategy; `new_producer` makes a transactional producer with this member's
    stable transactional id, whose `init_transactions` fences any older one."""

    def __init__(
        self,
        group: str,
        processor: StreamProcessor,
        new_producer: Callable[[], TransactionalProducer],
        punctuator: Punctuator | None = None,
        on_commit: Callable[[], None] | None = None,
        *,
        stuck_after: float = STUCK_TRANSACTION_SECONDS,
        on_stuck: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__()
        self._group, self._processor, self._punctuator = group, processor, punctuator
        # Told after each commit, for what may only be counted once it is in Kafka (an
        # aborted batch is processed again, and would count twice).
        self._on_commit = on_commit
        self._new_producer = new_producer
        self._producer = self._fresh_producer()
        # False between closing a producer and its replacement being up: a replacement that
        # fails (or a shutdown meanwhile) must not be followed by a close or flush of the old.
        self._producer_open = True
        # Newly assigned partitions stay paused while their state is read in this thread,
        # so the partitions already held go on being processed meanwhile.
        self._loader = ThreadPoolExecutor(1, thread_name_prefix=f"{group}-load")
        self._loading: list[_Loading] = []
        self._joined = False
        self._stuck_after, self._on_stuck = stuck_after, on_stuck or _exit_stuck
        # When the open transaction began (time.monotonic), or None between transactions.
        self._open_since: float | None = None

    def start(self, consumer: StreamConsumer, shutdown: Shutdown) -> None:
        super().start(consumer, shutdown)
        threading.Thread(
            target=self._watch, args=(shutdown,), name=f"{self._group}-watch", daemon=True
        ).start()

    def _watch(self, shutdown: Shutdown) -> None:
        while not shutdown.wait(self._stuck_after / 6):
            since = self._open_since
            open_for = 0.0 if since is None else time.monotonic() - since
            if open_for > self._stuck_after:
                self._on_stuck(open_for)
                return

    def handle(self, batch: list[Message]) -> None:
        if batch or (self._punctuator is not None and self._punctuator.due()):
            self._transact(batch)
        self._install_loaded()

    def ready(self) -> bool:
        return self._joined and not self._loading

    def close(self) -> None:
        self._loader.shutdown(cancel_futures=True)
        if self._producer_open:
            self._producer.flush(5)

    def _fresh_producer(self) -> TransactionalProducer:
        producer = self._new_producer()
        # Fences any older producer with this id and aborts the transaction it left open.
        # While the broker restarts, the coordinator cannot be reached or is still loading
        # its state: wait for it here instead of letting the process die and rebuild.
        while True:
            try:
                producer.init_transactions(COMMIT_TIMEOUT_SECONDS)
                return producer
            except KafkaException as failure:
                if not failure.args[0].retriable() or self._shutdown.requested:
                    # Left open, it would go on asking for this id's producer id beside the
                    # next one made.
                    producer.close()
                    raise
                log.warning("transaction coordinator unavailable; retrying", error=str(failure))
                self._backoff.wait(self._shutdown)

    def _replace_producer(self) -> None:
        # Closed first: left open, the old producer goes on asking for this transactional
        # id's producer id in the background, and the two fence each other in turn.
        if self._producer_open:
            self._producer.close()
            self._producer_open = False
        self._producer = self._fresh_producer()
        self._producer_open = True

    def _transact(self, batch: list[Message]) -> None:
        try:
            self._commit(batch)
            TRANSACTIONS.labels(self._group, "committed").inc()
            if self._on_commit is not None:
                self._on_commit()
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
            self._restart_from_committed(self.consumer.assignment())

    def _commit(self, batch: list[Message]) -> None:
        """One transaction: the batch's outputs, the punctuator's, the offsets. Watched."""
        self._open_since = time.monotonic()
        try:
            self._producer.begin_transaction()
            for record in self._outputs(batch):
                self._send(record)
            for record in self._punctuator.punctuate() if self._punctuator is not None else []:
                self._send(record)
            consumer = self.consumer
            positions = [tp for tp in consumer.position(consumer.assignment()) if tp.offset >= 0]
            self._producer.send_offsets_to_transaction(
                positions, consumer.consumer_group_metadata(), COMMIT_TIMEOUT_SECONDS
            )
            self._producer.commit_transaction(COMMIT_TIMEOUT_SECONDS)
        finally:
            self._open_since = None

    def _outputs(self, batch: list[Message]) -> list[OutRecord]:
        results, poison = sort_out(batch, self._processor.process)
        outputs = [parked(message, reason, self._group) for message, reason in poison]
        for message, records in results:
            trace = clients.trace_headers(clients.trace_id_from(message.headers()))
            outputs += [OutRecord(r.topic, r.value, r.key, r.partition, r.headers + trace) for r in records]
        return outputs

    def _send(self, record: OutRecord) -> None:
        extra: dict[str, Any] = {} if record.partition is None else {"partition": record.partition}
        self._producer.produce(record.topic, record.value, record.key, headers=record.headers, **extra)

    def _recover(self, error: KafkaError) -> None:
        """Nothing of the failed transaction is visible; make state and position agree again."""
        log.warning("transaction failed", error=str(error), abortable=error.txn_requires_abort())
        abortable = error.txn_requires_abort()
        while not self._shutdown.requested:
            try:
                if abortable:
                    self._abort()
                else:
                    # Fenced, fatal, or a commit whose outcome is unknown (a timeout): librdkafka
                    # cannot tell which, so a new producer with the same id fences the old one
                    # and Kafka's committed offsets say what happened.
                    self._replace_producer()
                self._restart_from_committed(self.consumer.assignment())
                return
            except KafkaException as failure:
                # The broker went away mid-recovery (its committed offsets cannot be read):
                # start the recovery over with a new producer once it is back.
                log.warning("kafka unavailable; recovering again", error=str(failure))
                abortable = False
                self._backoff.wait(self._shutdown)

    def _abort(self) -> None:
        try:
            self._producer.abort_transaction(COMMIT_TIMEOUT_SECONDS)
        except KafkaException as abort_failure:
            log.warning("abort failed", error=str(abort_failure))
            self._replace_producer()

    def _restart_from_committed(self, assignment: list[TopicPartition]) -> None:
        # Partitions still being read have no state and no position yet to restore.
        loading = {key for entry in self._loading for key in _keys(entry.held)}
        assignment = [tp for tp in assignment if (tp.topic, tp.partition) not in loading]
        if not assignment:
            return
        committed = self._stable_offsets(assignment)
        self._processor.revoked(assignment)
        self._processor.load(assignment)()
        for tp in committed:
            self.consumer.seek(
                TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING)
            )

    def _stable_offsets(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        # read_committed makes this wait (KIP-447 require_stable) until a previous owner's
        # transaction on these partitions is committed or aborted, so the changelogs read
        # next hold everything that transaction wrote, or none of it.
        return list(self.consumer.committed(partitions, STABLE_OFFSETS_TIMEOUT_SECONDS))

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
            held = _keys(loading.held)
            self._processor.revoked([tp for tp in loading.partitions if (tp.topic, tp.partition) not in held])
            if loading.held:
                self.consumer.resume(loading.held)
            log.info("state rebuilt", partitions=len(loading.held))

    def assigned(self, partitions: list[TopicPartition]) -> None:
        # Incremental: only the newly assigned partitions are read; the others keep their
        # state and are not paused.
        self.consumer.incremental_assign(partitions)
        REBALANCED.labels(self._group, "assigned").inc(len(partitions))
        self._joined = True
        if partitions:
            self.consumer.pause(partitions)
            self._loading.append(_Loading(partitions, self._loader.submit(self._load, partitions)))

    def revoked(self, partitions: list[TopicPartition]) -> None:
        # No transaction is open here: each batch commits before the next poll, which is
        # where rebalance callbacks run.
        REBALANCED.labels(self._group, "revoked").inc(len(partitions))
        gone = _keys(partitions)
        for loading in self._loading:
            loading.held = [tp for tp in loading.held if (tp.topic, tp.partition) not in gone]
        self._processor.revoked(partitions)
        log.info("partitions released", partitions=len(partitions))


def transactional_loop(
    settings: KafkaSettings,
    *,
    group_id: str,
    transactional_id: str,
    topics: Sequence[str],
    processor: StreamProcessor,
    punctuator: Punctuator | None = None,
    batching: Batching = BATCHING,
    on_commit: Callable[[], None] | None = None,
    consumer_config: Mapping[str, Any] | None = None,
) -> StreamLoop:
    """The loop over Kafka's clients, one transaction per batch; `consumer_config` adds to
    the consumer's settings (`clients.BATCHED_FETCH` for a loop that can wait)."""
    consumer = clients.consumer(
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
            "stats_cb": lag_reporter(group_id),
            **(consumer_config or {}),
        },
    )

    def new_producer() -> TransactionalProducer:
        # confluent-kafka's type stubs lack Producer.close(), which the library has.
        return cast(
            TransactionalProducer,
            clients.producer(
                settings,
                transactional_id=transactional_id,
                partitioner="murmur2_random",
                **{"transaction.timeout.ms": 10_000, "linger.ms": 1},
            ),
        )

    strategy = KafkaTransactionCommit(group_id, processor, new_producer, punctuator, on_commit)
    return StreamLoop(consumer, topics, strategy, batching)

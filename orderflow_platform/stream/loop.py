"""The one consume-process loop; a commit strategy makes each batch's effects and offsets
durable together (a Kafka transaction, or a Postgres transaction beside the rows).

The loop owns what every consumer shares: subscribing, batching (up to `max_records`, or
whatever arrived within `linger_seconds`), consumer errors, poison detection, lag, and
closing. Rebalance callbacks run inside `consume`, between batches, so a strategy never
sees a rebalance with a batch half done.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from confluent_kafka import KafkaError, Message, TopicPartition

from orderflow_platform.backoff import Backoff
from orderflow_platform.logs import get_logger
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.metrics import CONSUMER_LAG, DEAD_LETTERS
from orderflow_platform.stream.ports import StreamConsumer
from orderflow_platform.stream.records import OutRecord, PoisonMessage, dead_letter

log = get_logger(__name__)
R = TypeVar("R")


@dataclass(frozen=True)
class Batching:
    """A batch is up to `max_records`, or what arrived within `linger_seconds`.

    `busier` holds (records per second, linger) steps in ascending order of rate: a loop
    whose last batch arrived at least that fast lingers that long instead (the fastest step
    it reaches). A commit's fixed cost (a transaction's round trips, a produce request and
    a verification per partition it touches) is shared by more records the busier the
    loop, when CPU is what limits, and a quiet loop keeps its short linger."""

    max_records: int
    linger_seconds: float
    busier: tuple[tuple[float, float], ...] = ()

    def next_linger(self, arrived: int, seconds: float) -> float:
        """The linger of the next batch, after `arrived` records came in `seconds`."""
        linger = self.linger_seconds
        for records_per_second, step_linger in self.busier:
            if arrived < records_per_second * seconds:
                break
            linger = step_linger
        return linger


class CommitStrategy(Protocol):
    """How a batch's effects and its input offsets become durable together."""

    def start(self, consumer: StreamConsumer, shutdown: Shutdown) -> None:
        """Called once, before the subscription."""

    def assigned(self, partitions: list[TopicPartition]) -> None:
        """Takes the partitions on, from where this consumer's committed position says."""

    def revoked(self, partitions: list[TopicPartition]) -> None:
        """Drops what it holds for the partitions."""

    def handle(self, batch: list[Message]) -> None:
        """Processes and commits the batch (possibly empty: a poll that brought nothing)."""

    def ready(self) -> bool:
        """Whether the partitions assigned so far are being processed (state rebuilt)."""

    def close(self) -> None: ...


class Attached:
    """What a strategy is handed by the loop that runs it, and the backoff of its retries."""

    def __init__(self) -> None:
        self._consumer: StreamConsumer | None = None
        self._shutdown = Shutdown()
        self._backoff = Backoff()

    @property
    def consumer(self) -> StreamConsumer:
        assert self._consumer is not None, "started by the loop"
        return self._consumer

    def start(self, consumer: StreamConsumer, shutdown: Shutdown) -> None:
        self._consumer, self._shutdown = consumer, shutdown


class StreamLoop:
    def __init__(
        self,
        consumer: StreamConsumer,
        topics: Sequence[str],
        strategy: CommitStrategy,
        batching: Batching,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._consumer, self._topics, self._strategy = consumer, list(topics), strategy
        self.batching, self._clock = batching, clock
        # Set once the first assignment's state is rebuilt: the process can take requests.
        self.assigned = threading.Event()

    def run(self, shutdown: Shutdown) -> None:
        self._strategy.start(self._consumer, shutdown)
        self._consumer.subscribe(
            self._topics,
            on_assign=lambda _, partitions: self._strategy.assigned(partitions),
            on_revoke=lambda _, partitions: self._strategy.revoked(partitions),
            on_lost=lambda _, partitions: self._strategy.revoked(partitions),
        )
        linger = self.batching.linger_seconds
        last_consumed = self._clock()
        try:
            while not shutdown.requested:
                # One consume per batch, so that rebalance callbacks (run inside it) always
                # fall between batches.
                messages = self._consumer.consume(self.batching.max_records, linger)
                consumed = self._clock()
                self._strategy.handle(records(messages))
                # The batch came in while the last one was handled and this one lingered:
                # its rate over the linger alone would count a busy loop's handling twice.
                window = max(consumed - last_consumed, linger)
                linger = self.batching.next_linger(len(messages), window)
                last_consumed = consumed
                if self._strategy.ready():
                    self.assigned.set()
        finally:
            self._consumer.close()
            self._strategy.close()


def records(messages: list[Message]) -> list[Message]:
    """The messages that are records; the consumer's errors are logged (it recovers itself)."""
    batch = []
    for message in messages:
        error = message.error()
        if error is None:
            batch.append(message)
        elif error.code() != KafkaError._PARTITION_EOF:
            log.warning("consumer error", error=str(error))
    return batch


def sort_out(
    batch: list[Message], step: Callable[[Message], R]
) -> tuple[list[tuple[Message, R]], list[tuple[Message, str]]]:
    """Each record's result, in order, and the records that are poison with the reason."""
    results: list[tuple[Message, R]] = []
    poison: list[tuple[Message, str]] = []
    for message in batch:
        try:
            results.append((message, step(message)))
        except PoisonMessage as bad:
            poison.append((message, str(bad)))
    return results, poison


def parked(message: Message, reason: str, consumer: str) -> OutRecord:
    """The DLQ record of a poison message, counted and logged as parked."""
    DEAD_LETTERS.labels(message.topic()).inc()
    log.warning("dead-lettered", topic=message.topic(), offset=message.offset(), reason=reason)
    return dead_letter(message, reason, consumer)


def lag_reporter(group: str) -> Callable[[str], None]:
    """A `stats_cb` that sets the lag gauge per partition from librdkafka's statistics."""

    def report(stats_json: str) -> None:
        stats = json.loads(stats_json)
        for topic, topic_stats in stats.get("topics", {}).items():
            for partition, p in topic_stats.get("partitions", {}).items():
                lag = _lag(p)
                if partition != "-1" and lag is not None:
                    CONSUMER_LAG.labels(group, topic, partition).set(lag)

    return report


def _lag(partition: dict[str, Any]) -> int | None:
    """Records between what this consumer has read and the last stable offset.

    librdkafka's own `consumer_lag` counts from the offsets this consumer committed, which a
    transactional consumer never does (its producer commits them): it stays unknown, or
    stale from the assignment. The application offset is where it really is.
    """
    position = partition.get("app_offset", -1)
    if position < 0:
        position = partition.get("committed_offset", -1)
    end = partition.get("ls_offset", -1)
    return max(end - position, 0) if position >= 0 and end >= 0 else None

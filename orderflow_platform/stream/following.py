"""Following partitions in a thread of its own, for the views a process keeps of a topic:
read from a starting point, then on as records arrive, until stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol, TypeVar

from confluent_kafka import OFFSET_BEGINNING, KafkaError, Message, TopicPartition
from confluent_kafka.serialization import SerializationError

from orderflow_platform.backoff import Backoff, Interruptible
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.stream.loop import Batching
from orderflow_platform.stream.records import Position, position_of

log = get_logger(__name__)
V_co = TypeVar("V_co", covariant=True)
V = TypeVar("V")
METADATA_TIMEOUT_SECONDS = 10.0
BATCHING = Batching(max_records=500, linger_seconds=0.1)
# Each partition's beginning; its end when the follower starts; or offsets by partition (a
# partition without one from its beginning).
Start = Literal["beginning", "end"] | Mapping[Position, int]


class FollowedConsumer(Protocol):
    def list_topics(self, topic: str | None = None, timeout: float = -1) -> Any: ...

    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]: ...

    def assign(self, partitions: list[TopicPartition]) -> None: ...

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]: ...

    def close(self) -> None: ...


class Decoder(Protocol[V_co]):
    def decode(self, topic: str, data: bytes) -> V_co: ...


def reader(settings: KafkaSettings, group_id: str) -> Callable[[], FollowedConsumer]:
    """A follower's consumer: it assigns partitions (the group commits nothing) and has
    end-of-partition events on, which say when it has caught up."""
    return lambda: clients.consumer(
        settings, group_id, **{**clients.BATCHED_FETCH, "enable.partition.eof": True}
    )


class Follower:
    """Hands each committed record of the topics' partitions (those that exist when it starts)
    to `handle`, in order within a partition, from a thread of its own.

    `started` is set once the partitions are assigned: from "end", each partition's end is
    pinned then, so nothing recorded after it is set is missed. `caught_up` is set once every
    partition has been read to its end (the consumer's end-of-partition event).
    """

    def __init__(
        self,
        consumer: Callable[[], FollowedConsumer],
        topics: Sequence[str],
        handle: Callable[[Message], None],
        *,
        name: str,
        start: Start = "beginning",
        batching: Batching = BATCHING,
    ) -> None:
        self._consumer, self._topics, self._handle = consumer, list(topics), handle
        self._start, self._batching = start, batching
        self.started = threading.Event()
        self.caught_up = threading.Event()
        # Set by stop(): a `handle` waiting something out (a registry outage) gives up then.
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._follow, name=name, daemon=True)

    def start(self) -> Follower:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _follow(self) -> None:
        consumer = self._consumer()
        try:
            partitions = self._partitions(consumer)
            consumer.assign(partitions)
            self.started.set()
            behind = {(tp.topic, tp.partition) for tp in partitions}
            if not behind:
                self.caught_up.set()
            while not self.stopping.is_set():
                for message in consumer.consume(self._batching.max_records, self._batching.linger_seconds):
                    if self.stopping.is_set():
                        break
                    error = message.error()
                    if error is None:
                        self._handle(message)
                    elif error.code() == KafkaError._PARTITION_EOF:
                        behind.discard(position_of(message))
                        if not behind:
                            self.caught_up.set()
                    else:
                        log.warning("consumer error", error=str(error))
        finally:
            consumer.close()

    def _partitions(self, consumer: FollowedConsumer) -> list[TopicPartition]:
        metadata = consumer.list_topics(timeout=METADATA_TIMEOUT_SECONDS).topics
        found = [(t, p) for t in self._topics if t in metadata for p in sorted(metadata[t].partitions)]
        if self._start == "beginning":
            return [TopicPartition(t, p, OFFSET_BEGINNING) for t, p in found]
        if self._start == "end":
            return [
                TopicPartition(t, p, consumer.get_watermark_offsets(TopicPartition(t, p))[1])
                for t, p in found
            ]
        offsets = self._start
        return [TopicPartition(t, p, offsets.get((t, p), OFFSET_BEGINNING)) for t, p in found]


def decoded(codec: Decoder[V], message: Message, stop: Interruptible) -> V | None:
    """The record's value; None for one without a value, for one that never decodes (logged),
    or when `stop` comes while a registry outage is waited out."""
    value = message.value()
    if value is None:
        return None
    topic, offset = str(message.topic()), message.offset()
    backoff = Backoff()
    while True:
        try:
            return codec.decode(topic, value)
        except SerializationError as error:
            log.warning("undecodable record", topic=topic, offset=offset, error=str(error))
            return None
        except RegistryUnavailable as error:
            log.warning("schema registry unavailable", topic=topic, offset=offset, error=str(error))
            if stop.wait(backoff.next_delay()):
                return None

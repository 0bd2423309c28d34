"""Reading partitions up to their end, and writing in halves until what a store refuses is
alone: shared by the loops, state rebuilds, replay and log search."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_INVALID,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from orderflow_platform.kafka import clients
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.stream.checkpoints import Refused
from orderflow_platform.stream.ports import StreamConsumer
from orderflow_platform.stream.records import Position, position_of

T = TypeVar("T")
READER_GROUP = "orderflow-changelog-reader"
METADATA_TIMEOUT_SECONDS = 10.0


def batches_to_end(
    reader: StreamConsumer,
    partitions: Sequence[TopicPartition],
    ends: dict[Position, int],
    max_records: int = 1000,
    poll_seconds: float = 1.0,
) -> Iterator[list[Message]]:
    """Batches of the partitions' committed records from each one's offset (its beginning
    when it has none) up to the end each has when the reader reaches it; `ends` gets each
    partition's next offset there.

    The reader must have `enable.partition.eof` on: the end is where it reports EOF.
    """
    reader.assign(
        [
            TopicPartition(
                tp.topic, tp.partition, OFFSET_BEGINNING if tp.offset == OFFSET_INVALID else tp.offset
            )
            for tp in partitions
        ]
    )
    while len(ends) < len(partitions):
        records = []
        for message in reader.consume(max_records, poll_seconds):
            position = position_of(message)
            error = message.error()
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                raise KafkaException(error)
            if position in ends:
                continue  # written after this partition's end was reached
            if error is not None:
                ends[position] = int(message.offset() or 0)
                reader.pause([TopicPartition(*position)])
            else:
                records.append(message)
        yield records


def partition_count(settings: KafkaSettings, topic: str) -> int:
    """How many partitions the topic has, from the broker's metadata."""
    metadata = clients.admin_client(settings).list_topics(topic, timeout=METADATA_TIMEOUT_SECONDS)
    described = metadata.topics[topic]
    if described.error is not None:
        raise KafkaException(described.error)
    return len(described.partitions)


def read_to_end(settings: KafkaSettings, topic: str, partitions: set[int] | None = None) -> Iterator[Message]:
    """Every committed record of the partitions (all of the topic's by default), from the
    beginning up to their current end."""
    if partitions is not None and not partitions:
        return
    reader = clients.consumer(settings, group_id=READER_GROUP, **{"enable.partition.eof": True})
    try:
        if partitions is None:
            partitions = set(reader.list_topics(topic, timeout=10).topics[topic].partitions)
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        for batch in batches_to_end(reader, assigned, {}):
            yield from batch
    finally:
        reader.close()


def bisect(
    items: Sequence[T], write: Callable[[Sequence[T]], None], refused: Callable[[T, Refused], None]
) -> None:
    """Writes the items, in halves until the ones the store refuses are alone; hands each of
    those to `refused`. Items must not depend on being written together."""
    try:
        write(items)
    except Refused as error:
        if len(items) <= 1:
            if items:
                refused(items[0], error)
            return
        half = len(items) // 2
        bisect(items[:half], write, refused)
        bisect(items[half:], write, refused)

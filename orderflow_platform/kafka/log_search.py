"""Looking a record up in a topic: the partition a key goes to, read from a time to the end."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from orderflow_platform.stream.reading import batches_to_end

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
RETRY_SECONDS = 0.2
BATCH = 500
# How long past its deadline a search may go on: it looks at the time between polls.
POLL_SECONDS = 0.05


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (Java's Utils.murmur2), as an unsigned 32-bit value."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length - length % 4
    if length % 4 >= 3:
        h ^= data[tail + 2] << 16
    if length % 4 >= 2:
        h ^= data[tail + 1] << 8
    if length % 4 >= 1:
        h ^= data[tail]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


def partition_for(key: bytes, partitions: int) -> int:
    """The partition a keyed record goes to with librdkafka's `murmur2_random` partitioner
    and Java's default one alike."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def find_since(
    consumer: Consumer,
    topic: str,
    key: bytes,
    since: datetime,
    *,
    matches: Callable[[Message], bool],
    timeout: float,
) -> bool:
    """Whether a record with this key that `matches` is in the key's partition at or after
    timestamp `since`, reading up to the partition's end as of now.

    The consumer must have `enable.partition.eof` on and be otherwise unused; with
    read_committed isolation the end is the last stable offset. Errors are retried (a
    broker just restarted refuses offset requests for a moment) until `timeout` seconds
    have passed; then TimeoutError, with the last error as its cause.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _find(consumer, topic, key, since, matches=matches, deadline=deadline)
        except KafkaException as error:
            if time.monotonic() + RETRY_SECONDS >= deadline:
                raise TimeoutError(f"searching {topic}: {error}") from error
            time.sleep(RETRY_SECONDS)


def _find(
    consumer: Consumer,
    topic: str,
    key: bytes,
    since: datetime,
    *,
    matches: Callable[[Message], bool],
    deadline: float,
) -> bool:
    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"searching {topic} did not end in time")
        return left

    metadata = consumer.list_topics(topic, timeout=remaining()).topics[topic]
    if metadata.error is not None:
        raise KafkaException(metadata.error)
    partition = partition_for(key, len(metadata.partitions))
    since_ms = int(since.timestamp() * 1000)
    (start,) = consumer.offsets_for_times([TopicPartition(topic, partition, since_ms)], timeout=remaining())
    if start.error is not None:
        raise KafkaException(start.error)
    if start.offset < 0:
        return False  # no record at or after `since`
    for batch in batches_to_end(consumer, [start], {}, max_records=BATCH, poll_seconds=POLL_SECONDS):
        if any(message.key() == key and matches(message) for message in batch):
            return True
        remaining()
    return False

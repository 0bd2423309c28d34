"""Waiting on the real stack: poll with a deadline, never sleep and hope."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], deadline_seconds: float = 30.0, every: float = 0.1) -> T:
    """The first truthy result of probe, or AssertionError once the deadline passes."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {deadline_seconds}s")
        time.sleep(every)


async def eventually_async(
    probe: Callable[[], T | None], deadline_seconds: float = 5.0, every: float = 0.02
) -> T:
    """eventually() for conditions that only come true while the event loop runs."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {deadline_seconds}s")
        await asyncio.sleep(every)


def create_topic(admin: AdminClient, name: str, partitions: int = 3, **config: str) -> None:
    topic = NewTopic(name, num_partitions=partitions, replication_factor=1, config=config)
    admin.create_topics([topic])[name].result(30)
    # The controller acknowledges before every broker's metadata cache has the topic;
    # a caller that lists topics straight away could otherwise still find it missing.
    eventually(lambda: _has_leaders(admin, name, partitions))


def _has_leaders(admin: AdminClient, name: str, partitions: int) -> bool:
    topic = admin.list_topics(name, timeout=10).topics.get(name)
    if topic is None or topic.error is not None or len(topic.partitions) != partitions:
        return False
    return all(p.leader >= 0 for p in topic.partitions.values())


def consume(consumer: Consumer, count: int, deadline_seconds: float = 30.0) -> list[Message]:
    """Exactly `count` records, or AssertionError with how many came before the deadline."""
    records: list[Message] = []
    deadline = time.monotonic() + deadline_seconds
    while len(records) < count and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        assert message.error() is None, message.error()
        records.append(message)
    assert len(records) == count, f"got {len(records)} of {count} records in {deadline_seconds}s"
    return records


class DeadLetterQueue:
    """A topic's DLQ from its current end: what is parked from now on."""

    def __init__(self, consumer: Consumer, topic: str) -> None:
        self.topic, self._consumer = f"{topic}.dlq", consumer
        partitions = consumer.list_topics(self.topic, timeout=10).topics[self.topic].partitions
        self._starts = {
            p: consumer.get_watermark_offsets(TopicPartition(self.topic, p))[1] for p in partitions
        }
        consumer.assign([TopicPartition(self.topic, p, offset) for p, offset in self._starts.items()])
        self._seen: list[Message] = []

    def parked(self, key: bytes, by: str, deadline_seconds: float = 60.0) -> Message:
        """The record with this key that consumer group `by` parks (others may park it too)."""
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            if found := self._by(key, by):
                return found[0]
            self._poll()
        raise AssertionError(f"{by} parked nothing keyed {key!r} on {self.topic} in {deadline_seconds}s")

    def count(self, key: bytes, by: str, deadline_seconds: float = 30.0) -> int:
        """How many records keyed `key` group `by` has parked, read to the DLQ's current end."""
        assignment = self._consumer.assignment()
        ends = {tp.partition: self._consumer.get_watermark_offsets(tp)[1] for tp in assignment}
        deadline = time.monotonic() + deadline_seconds
        while any(self._next(tp) < ends[tp.partition] for tp in self._consumer.position(assignment)):
            assert time.monotonic() < deadline, f"{self.topic} not read to its end in {deadline_seconds}s"
            self._poll()
        return len(self._by(key, by))

    def _next(self, position: TopicPartition) -> int:
        """The next offset to read; a partition nothing was read from yet is at its start."""
        return position.offset if position.offset >= 0 else self._starts[position.partition]

    def _poll(self) -> None:
        message = self._consumer.poll(0.2)
        if message is not None and message.error() is None:
            self._seen.append(message)

    def _by(self, key: bytes, by: str) -> list[Message]:
        return [
            m
            for m in self._seen
            if m.key() == key and dict(m.headers() or []).get("dlq_consumer") == by.encode()
        ]

    def close(self) -> None:
        self._consumer.close()

"""What flows through the stream runtime: records in and out, poison, and where a record is."""

from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka import Message

from orderflow_platform.kafka.clients import HeaderValue
from orderflow_platform.topics import dead_letters

# A partition: topic and number.
Position = tuple[str, int]
# A record by where it is: topic, partition, offset.
Origin = tuple[str, int, int]


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


def position_of(message: Message) -> Position:
    return (str(message.topic()), int(message.partition() or 0))


def origin_of(message: Message) -> Origin:
    return (str(message.topic()), int(message.partition() or 0), int(message.offset() or 0))


def next_offsets(messages: list[Message]) -> dict[Position, int]:
    """Per partition, the offset after the last of the messages (they are in offset order)."""
    return {position_of(m): int(m.offset() or 0) + 1 for m in messages}


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
    return OutRecord(dead_letters(topic), message.value(), message.key(), None, headers)

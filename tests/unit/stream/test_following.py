"""The follower: partitions read in a thread of its own from where it is told, then on as
records arrive; and the decoding its users share."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Protocol

import pytest
from confluent_kafka import Message
from confluent_kafka.serialization import SerializationError
from structlog.testing import capture_logs

from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.stream.following import Follower, Start, decoded
from orderflow_platform.stream.loop import Batching
from tests.unit.stream.fakes import FakeKafka, FakeReader, records

DEADLINE_SECONDS = 5.0
# Two records a poll: a partition's records and its end come over several polls.
SMALL_BATCHES = Batching(max_records=2, linger_seconds=0.01)


class Follow(Protocol):
    def __call__(
        self, kafka: FakeKafka, handle: Callable[[Message], None], start: Start = "beginning"
    ) -> tuple[Follower, FakeReader]: ...


@pytest.fixture
def follow() -> Iterator[Follow]:
    """Builds followers of topic "t" over fake readers; stops them all after the test."""
    started: list[Follower] = []

    def build(
        kafka: FakeKafka, handle: Callable[[Message], None], start: Start = "beginning"
    ) -> tuple[Follower, FakeReader]:
        reader = FakeReader(kafka)
        follower = Follower(
            lambda: reader, ["t"], handle, name="test-follower", start=start, batching=SMALL_BATCHES
        )
        started.append(follower)
        return follower, reader

    yield build
    for follower in started:
        follower.stop()


class Values:
    """The values handed over, and an event set once `expected` of them have been."""

    def __init__(self, expected: int = -1) -> None:
        self.seen: list[bytes | None] = []
        self.enough = threading.Event()
        self._expected = expected

    def add(self, value: bytes | None) -> None:
        self.seen.append(value)
        if len(self.seen) == self._expected:
            self.enough.set()

    def handle(self, message: Message) -> None:
        self.add(message.value())


class Strings:
    """Bytes as text; b"bad" never decodes; while `down`, the registry is unavailable."""

    def __init__(self, down: int = 0) -> None:
        self.down = down

    def decode(self, topic: str, data: bytes) -> str:
        if self.down:
            self.down -= 1
            raise RegistryUnavailable("registry down")
        if data == b"bad":
            raise SerializationError("not a string")
        return data.decode()


class NoWait:
    """A stop that is never requested (or always is), and the delays waited on it."""

    def __init__(self, stopped: bool = False) -> None:
        self.stopped = stopped
        self.delays: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.delays.append(timeout)
        return self.stopped


def test_from_the_beginning_it_is_caught_up_only_after_every_partitions_end(follow: Follow) -> None:
    kafka = FakeKafka()
    kafka.append(records("t", [b"a0", b"a1"], partition=0) + records("t", [b"b0", b"b1", b"b2"], partition=1))
    kafka.append(records("other", [b"not followed"]))
    handed: list[tuple[bytes | None, bool]] = []
    follower, _ = follow(kafka, lambda m: handed.append((m.value(), follower.caught_up.is_set())))

    follower.start()

    assert follower.caught_up.wait(DEADLINE_SECONDS)
    assert handed == [(v, False) for v in [b"a0", b"a1", b"b0", b"b1", b"b2"]]


def test_from_the_end_what_was_there_before_start_is_skipped_and_nothing_after(follow: Follow) -> None:
    kafka = FakeKafka()
    kafka.append(records("t", [b"old0", b"old1"], partition=0) + records("t", [b"old"], partition=1))
    values = Values(expected=3)
    follower, _ = follow(kafka, values.handle, start="end")

    follower.start()
    assert follower.started.wait(DEADLINE_SECONDS)
    kafka.append(records("t", [b"new0", b"new1"], partition=0, first_offset=2))
    kafka.append(records("t", [b"new"], partition=1, first_offset=1))

    assert values.enough.wait(DEADLINE_SECONDS)
    assert sorted(v or b"" for v in values.seen) == [b"new", b"new0", b"new1"]
    assert follower.caught_up.is_set()


def test_from_given_offsets_a_partition_without_one_is_read_from_its_beginning(follow: Follow) -> None:
    kafka = FakeKafka()
    kafka.append(records("t", [b"a0", b"a1", b"a2"], partition=0) + records("t", [b"b0"], partition=1))
    values = Values()
    follower, _ = follow(kafka, values.handle, start={("t", 0): 2})

    follower.start()

    assert follower.caught_up.wait(DEADLINE_SECONDS)
    assert values.seen == [b"a2", b"b0"]


def test_a_follower_of_topics_that_do_not_exist_is_caught_up_at_once(follow: Follow) -> None:
    follower, _ = follow(FakeKafka(), Values().handle)

    follower.start()

    assert follower.caught_up.wait(DEADLINE_SECONDS)


def test_an_undecodable_record_is_skipped_and_logged(follow: Follow) -> None:
    kafka = FakeKafka()
    kafka.append(records("t", [b"good", b"bad", b"fine"]))
    kept: list[str] = []
    codec = Strings()

    def keep(message: Message) -> None:
        if (value := decoded(codec, message, follower.stopping)) is not None:
            kept.append(value)

    follower, _ = follow(kafka, keep)
    with capture_logs() as logs:
        follower.start()
        assert follower.caught_up.wait(DEADLINE_SECONDS)

    assert kept == ["good", "fine"]
    assert [(e["event"], e["offset"]) for e in logs if e["log_level"] == "warning"] == [
        ("undecodable record", 1)
    ]


def test_a_registry_outage_is_waited_out_with_a_growing_backoff() -> None:
    (message,) = records("t", [b"value"])
    stop = NoWait()

    assert decoded(Strings(down=3), message, stop) == "value"
    assert stop.delays == [0.5, 1.0, 2.0]


def test_a_stop_during_a_registry_outage_gives_up_on_the_record() -> None:
    (message,) = records("t", [b"value"])

    assert decoded(Strings(down=1), message, NoWait(stopped=True)) is None


def test_a_record_without_a_value_is_none_without_decoding() -> None:
    tombstone = Message(topic="t", partition=0, offset=0, key=b"k", value=None)

    assert decoded(Strings(down=1), tombstone, NoWait()) is None


def test_stop_ends_the_thread_and_closes_the_consumer(follow: Follow) -> None:
    kafka = FakeKafka()
    kafka.append(records("t", [b"value"]))
    waiting = threading.Event()
    codec = Strings(down=1_000_000)

    def keep(message: Message) -> None:
        waiting.set()
        decoded(codec, message, follower.stopping)  # waits out an outage that never ends

    follower, reader = follow(kafka, keep)
    follower.start()
    assert waiting.wait(DEADLINE_SECONDS)

    follower.stop(DEADLINE_SECONDS)

    assert not follower.is_alive()
    assert reader.closed

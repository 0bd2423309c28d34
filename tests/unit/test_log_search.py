"""The partition a key goes to, and a record looked up from a time to its partition's end."""

from datetime import UTC, datetime
from typing import cast

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from orderflow_platform.kafka.log_search import find_since, partition_for
from tests.unit.stream.fakes import FakeKafka, FakeReader

# Partitions librdkafka's murmur2_random producer chose for these keys on a 6-partition topic.
LIBRDKAFKA_CHOSE = {
    b"a": 4,
    b"ab": 2,
    b"abc": 3,
    b"abcd": 2,
    b"alice": 3,
    b"bob": 0,
    b"user-42": 4,
    "josé@例え.jp".encode(): 1,
    b"x" * 37: 5,
}


@pytest.mark.parametrize(("key", "partition"), LIBRDKAFKA_CHOSE.items())
def test_a_key_maps_to_the_partition_the_producer_chose(key: bytes, partition: int) -> None:
    assert partition_for(key, 6) == partition


class SearchedLog(FakeReader):
    """A one-partition topic whose records from `since` on start at `start_offset`; its offset
    lookups fail `failures` times first, as a broker just restarted refuses them."""

    def __init__(self, kafka: FakeKafka, start_offset: int, failures: int = 0) -> None:
        super().__init__(kafka)
        self._start_offset, self._failures = start_offset, failures

    def offsets_for_times(
        self, partitions: list[TopicPartition], timeout: float = -1
    ) -> list[TopicPartition]:
        if self._failures:
            self._failures -= 1
            raise KafkaException(KafkaError(KafkaError._TRANSPORT))
        return [TopicPartition(tp.topic, tp.partition, self._start_offset) for tp in partitions]


class NeverAtTheEnd(SearchedLog):
    """A partition whose end a poll never reaches (a broker that answers nothing)."""

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]:
        return []


def orders() -> FakeKafka:
    kafka = FakeKafka()
    kafka.append(
        [
            Message(topic="orders", partition=0, offset=offset, key=key, value=value)
            for offset, (key, value) in enumerate(
                [(b"u1", b"o0"), (b"u1", b"o1"), (b"u2", b"o2"), (b"u1", b"o3"), (b"u2", b"o4")]
            )
        ]
    )
    return kafka


def search(log: SearchedLog, key: bytes, value: bytes, timeout: float = 5.0) -> bool:
    return find_since(
        cast(Consumer, log),
        "orders",
        key,
        datetime.now(UTC),
        matches=lambda message: message.value() == value,
        timeout=timeout,
    )


def test_a_record_is_found_from_the_time_on_under_its_key_only() -> None:
    assert search(SearchedLog(orders(), start_offset=1), b"u1", b"o3")
    assert search(SearchedLog(orders(), start_offset=1), b"u1", b"o1")
    assert not search(SearchedLog(orders(), start_offset=2), b"u1", b"o1"), "written before the time"
    assert not search(SearchedLog(orders(), start_offset=0), b"u1", b"o4"), "another key's record"


def test_a_refused_offset_lookup_is_retried() -> None:
    assert search(SearchedLog(orders(), start_offset=0, failures=1), b"u1", b"o3")


def test_a_search_that_does_not_reach_the_end_in_time_raises_timeout_error() -> None:
    with pytest.raises(TimeoutError):
        search(NeverAtTheEnd(orders(), start_offset=0), b"u1", b"absent", timeout=0.2)

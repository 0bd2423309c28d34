"""A busy loop lingers longer, a quiet one keeps its short linger."""

from __future__ import annotations

from confluent_kafka import Message, TopicPartition

from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.loop import Batching, StreamLoop
from orderflow_platform.stream.ports import StreamConsumer
from tests.unit.stream.fakes import FakeConsumer, FakeKafka, records

ADAPTIVE = Batching(max_records=4, linger_seconds=0.02, busier=((100, 0.05),))
STEPPED = Batching(max_records=500, linger_seconds=0.02, busier=((250, 0.03), (600, 0.05)))


def test_the_next_linger_follows_how_fast_the_last_batch_arrived() -> None:
    assert ADAPTIVE.next_linger(arrived=1, seconds=0.02) == 0.02  # 50 records/s
    assert ADAPTIVE.next_linger(arrived=2, seconds=0.02) == 0.05  # 100 records/s
    assert ADAPTIVE.next_linger(arrived=5, seconds=0.05) == 0.05  # 100 records/s
    assert ADAPTIVE.next_linger(arrived=4, seconds=0.05) == 0.02  # 80 records/s
    assert ADAPTIVE.next_linger(arrived=0, seconds=0.05) == 0.02


def test_the_busier_the_loop_the_longer_it_lingers() -> None:
    assert STEPPED.next_linger(arrived=4, seconds=0.02) == 0.02  # 200 records/s
    assert STEPPED.next_linger(arrived=12, seconds=0.03) == 0.03  # 400 records/s
    assert STEPPED.next_linger(arrived=21, seconds=0.03) == 0.05  # 700 records/s
    assert STEPPED.next_linger(arrived=25, seconds=0.05) == 0.03  # 500 records/s
    assert STEPPED.next_linger(arrived=10, seconds=0.05) == 0.02  # 200 records/s


def test_without_a_busy_rate_every_batch_lingers_alike() -> None:
    fixed = Batching(max_records=4, linger_seconds=0.02)
    assert {fixed.next_linger(arrived, 0.02) for arrived in (0, 4, 1000)} == {0.02}


class Batches:
    """A strategy that keeps the batches it is handed."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self._consumer: StreamConsumer | None = None

    def start(self, consumer: StreamConsumer, shutdown: Shutdown) -> None:
        self._consumer = consumer

    def assigned(self, partitions: list[TopicPartition]) -> None:
        assert self._consumer is not None
        self._consumer.incremental_assign(partitions)

    def revoked(self, partitions: list[TopicPartition]) -> None: ...

    def handle(self, batch: list[Message]) -> None:
        self.sizes.append(len(batch))

    def ready(self) -> bool:
        return True

    def close(self) -> None: ...


def test_the_loop_asks_for_each_batch_with_the_linger_its_last_batch_earned() -> None:
    kafka = FakeKafka()
    kafka.append(records("t", [b"1"] * 6))
    shutdown = Shutdown()
    consumer = FakeConsumer(kafka, shutdown, lambda: True)
    batches = Batches()
    StreamLoop(consumer, ["t"], batches, ADAPTIVE).run(shutdown)
    # 4 records in 0.02 s is busy, so the next batch waits 0.05 s; 2 in 0.05 s is not, so
    # the one after waits 0.02 s again (and, empty, ends the run).
    assert batches.sizes == [4, 2, 0]
    assert [timeout for _, timeout in consumer.polls] == [0.02, 0.05, 0.02]


def test_a_batch_counts_as_busy_by_the_time_since_the_last_one_not_by_its_linger() -> None:
    """A batch holds what came while the last one was handled too: 2 records a linger of
    0.02 s apart are 100 records/s, but with 0.02 s of handling between them only 50."""
    kafka = FakeKafka()
    kafka.append(records("t", [b"1"] * 4))
    shutdown = Shutdown()
    consumer = FakeConsumer(kafka, shutdown, lambda: True)
    ticks = iter(i * 0.04 for i in range(100))
    batching = Batching(max_records=2, linger_seconds=0.02, busier=((100, 0.05),))
    StreamLoop(consumer, ["t"], Batches(), batching, clock=lambda: next(ticks)).run(shutdown)
    assert [timeout for _, timeout in consumer.polls] == [0.02, 0.02, 0.02]

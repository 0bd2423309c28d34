"""The stream loop committing by Kafka transaction, over fakes of Kafka's clients."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.kafka_transaction import EXIT_STUCK, KafkaTransactionCommit
from orderflow_platform.stream.loop import Batching, StreamLoop
from orderflow_platform.stream.records import OutRecord, PoisonMessage
from tests.unit.stream.fakes import FakeConsumer, FakeKafka, FakeTransactionalProducer, records

NUMBERS, SUMS = "numbers", "sums"
BATCHING = Batching(max_records=4, linger_seconds=0.01)


class RunningSum:
    """Adds up each partition's numbers; every new sum goes to the changelog `sums`, from
    which a partition's sum is read back when it is assigned."""

    def __init__(self, kafka: FakeKafka, registry_outages: int = 0) -> None:
        self._kafka = kafka
        self.sums: dict[int, int] = {}
        self.loaded: list[list[int]] = []
        self._outages = registry_outages

    def load(self, partitions: Sequence[TopicPartition]) -> Callable[[], None]:
        self.loaded.append([tp.partition for tp in partitions])
        read = {tp.partition: self._changelog_sum(tp.partition) for tp in partitions}
        return lambda: self.sums.update(read)

    def revoked(self, partitions: Sequence[TopicPartition]) -> None:
        for tp in partitions:
            self.sums.pop(tp.partition, None)

    def process(self, message: Message) -> list[OutRecord]:
        if self._outages > 0:
            self._outages -= 1
            raise RegistryUnavailable("the registry is down")
        value = message.value() or b""
        if not value.isdigit():
            raise PoisonMessage("not a number")
        partition = int(message.partition() or 0)
        self.sums[partition] += int(value)
        return [OutRecord(SUMS, str(self.sums[partition]).encode(), None, partition)]

    def _changelog_sum(self, partition: int) -> int:
        written = [r for r in self._kafka.on(SUMS) if r.partition == partition]
        return int(written[-1].value or b"0") if written else 0


def run(kafka: FakeKafka, processor: RunningSum, until: Callable[[], bool]) -> FakeConsumer:
    shutdown = Shutdown()
    consumer = FakeConsumer(kafka, shutdown, until)
    strategy = KafkaTransactionCommit("test", processor, lambda: FakeTransactionalProducer(kafka))
    loop = StreamLoop(consumer, [NUMBERS], strategy, BATCHING)
    loop.run(shutdown)
    assert loop.assigned.is_set() and consumer.closed
    return consumer


def numbers(count: int, partition: int = 0) -> list[Message]:
    return records(NUMBERS, [str(n).encode() for n in range(1, count + 1)], partition)


def committed_to_end(kafka: FakeKafka) -> Callable[[], bool]:
    return lambda: all(kafka.committed.get(p) == len(log) for p, log in kafka.log.items())


def last_sums(kafka: FakeKafka) -> dict[int, bytes | None]:
    return {r.partition or 0: r.value for r in kafka.on(SUMS)}


def test_a_batch_is_at_most_max_records_and_the_linger_is_the_poll_timeout() -> None:
    kafka = FakeKafka()
    kafka.append(numbers(10))
    consumer = run(kafka, RunningSum(kafka), committed_to_end(kafka))
    assert set(consumer.polls) == {(4, 0.01)}
    # Ten records in batches of four: three transactions, each with its sums and offsets.
    assert [r.value for r in kafka.on(SUMS)] == [str(n * (n + 1) // 2).encode() for n in range(1, 11)]
    assert kafka.committed == {(NUMBERS, 0): 10}


def test_poison_is_parked_once_inside_the_transaction_that_moves_past_it() -> None:
    kafka = FakeKafka()
    kafka.append(records(NUMBERS, [b"1", b"2", b"poison", b"3"]))
    # The batch holding the poison fails once: its DLQ record must go with it.
    abortable = KafkaError(KafkaError._STATE, "abortable", txn_requires_abort=True)
    kafka.commit_failures.append(KafkaException(abortable))
    run(kafka, RunningSum(kafka), committed_to_end(kafka))
    parked = kafka.on(f"{NUMBERS}.dlq")
    assert [r.value for r in parked] == [b"poison"]
    headers = dict(parked[0].headers)
    assert headers["dlq_reason"] == b"not a number" and headers["dlq_offset"] == b"2"
    assert headers["dlq_consumer"] == b"test"
    assert last_sums(kafka) == {0: b"6"}


def test_an_abortable_failure_aborts_and_rewinds_state_and_position_to_the_committed() -> None:
    kafka = FakeKafka()
    kafka.append(numbers(10))
    processor = RunningSum(kafka)
    abortable = KafkaError(KafkaError._STATE, "abortable", txn_requires_abort=True)
    kafka.commit_failures += [None, KafkaException(abortable)]
    run(kafka, processor, committed_to_end(kafka))
    # Each number counted once: the aborted batch's sums were thrown away, state read again.
    assert last_sums(kafka) == {0: b"55"}
    assert len({r.value for r in kafka.on(SUMS)}) == len(kafka.on(SUMS)) == 10
    assert kafka.producers == 1
    assert len(processor.loaded) == 2


def test_a_fenced_producer_is_replaced_and_resumes_from_the_committed_offsets() -> None:
    kafka = FakeKafka()
    kafka.append(numbers(10))
    processor = RunningSum(kafka)
    fenced = KafkaError(KafkaError._FENCED, "fenced by a newer producer", fatal=True)
    kafka.commit_failures.append(KafkaException(fenced))
    run(kafka, processor, committed_to_end(kafka))
    assert kafka.producers == 2
    assert last_sums(kafka) == {0: b"55"}
    assert len(kafka.on(SUMS)) == 10


def test_a_broker_restart_during_recovery_is_waited_out_not_fatal() -> None:
    kafka = FakeKafka()
    kafka.append(numbers(10))
    processor = RunningSum(kafka)
    lost = KafkaError(KafkaError._TRANSPORT, "broker transport failure")
    kafka.commit_failures.append(KafkaException(lost))
    # The new producer's coordinator is not there yet, twice; the loop must not die of it.
    restarting = KafkaError(KafkaError._TIMED_OUT, "timed out, retry call to resume", retriable=True)
    kafka.init_failures += [KafkaException(restarting), KafkaException(restarting)]
    run(kafka, processor, committed_to_end(kafka))
    assert kafka.producers == 2 and not kafka.init_failures
    assert last_sums(kafka) == {0: b"55"}
    assert len(kafka.on(SUMS)) == 10


def fenced_at_first_commit() -> tuple[FakeKafka, Shutdown, FakeConsumer]:
    """Ten numbers to sum, the first commit fenced: the producer must be replaced."""
    kafka = FakeKafka()
    kafka.append(numbers(10))
    fenced = KafkaError(KafkaError._FENCED, "fenced by a newer producer", fatal=True)
    kafka.commit_failures.append(KafkaException(fenced))
    shutdown = Shutdown()
    return kafka, shutdown, FakeConsumer(kafka, shutdown, committed_to_end(kafka))


def test_a_replacement_refused_once_is_made_again_without_closing_the_old_producer_twice() -> None:
    kafka, shutdown, consumer = fenced_at_first_commit()
    strategy = KafkaTransactionCommit("test", RunningSum(kafka), lambda: FakeTransactionalProducer(kafka))
    # The first producer is up; its first replacement is refused outright, after the old
    # one was closed.
    refused = KafkaError(KafkaError._FATAL, "producer id allocation failed", fatal=True)
    kafka.init_failures.append(KafkaException(refused))
    StreamLoop(consumer, [NUMBERS], strategy, BATCHING).run(shutdown)
    # The refused one closed, the working one left open (flushed) as the loop ends.
    assert kafka.producers == 3 and kafka.open_producers == 1
    assert last_sums(kafka) == {0: b"55"}


def test_shutdown_while_a_replacement_waits_leaves_no_closed_producer_to_flush() -> None:
    kafka, shutdown, consumer = fenced_at_first_commit()
    coordinator_away = KafkaError(KafkaError._TIMED_OUT, "coordinator not available", retriable=True)

    def new_producer() -> FakeTransactionalProducer:
        if kafka.producers == 1:
            # SIGTERM arrives while the replacement waits for the coordinator.
            shutdown.request()
            kafka.init_failures.append(KafkaException(coordinator_away))
        return FakeTransactionalProducer(kafka)

    strategy = KafkaTransactionCommit("test", RunningSum(kafka), new_producer)
    StreamLoop(consumer, [NUMBERS], strategy, BATCHING).run(shutdown)
    assert consumer.closed and kafka.open_producers == 0
    assert kafka.committed.get((NUMBERS, 0), 0) < 10


def test_a_registry_outage_retries_the_batch_and_parks_nothing() -> None:
    kafka = FakeKafka()
    kafka.append(numbers(5))
    run(kafka, RunningSum(kafka, registry_outages=1), committed_to_end(kafka))
    assert kafka.on(f"{NUMBERS}.dlq") == []
    assert last_sums(kafka) == {0: b"15"} and len(kafka.on(SUMS)) == 5


def test_assigned_partitions_rebuild_their_state_from_the_changelog_first() -> None:
    kafka = FakeKafka()
    kafka.append(numbers(6, partition=0) + numbers(3, partition=1))
    # An earlier owner summed partition 0's first four numbers and committed past them.
    kafka.written.append(OutRecord(SUMS, b"10", None, 0))
    kafka.committed[(NUMBERS, 0)] = 4
    processor = RunningSum(kafka)
    run(kafka, processor, committed_to_end(kafka))
    assert processor.loaded == [[0, 1]]
    assert last_sums(kafka) == {0: b"21", 1: b"6"}


def test_a_revoked_partition_drops_its_state_and_a_reassigned_one_reads_it_again() -> None:
    kafka = FakeKafka()
    kafka.append(numbers(4, partition=0) + numbers(4, partition=1))
    processor = RunningSum(kafka)
    shutdown = Shutdown()
    handed_back = False

    def until() -> bool:
        nonlocal handed_back
        if not committed_to_end(kafka)():
            return False
        if not handed_back:
            handed_back = True
            consumer.rebalance("revoke", [TopicPartition(NUMBERS, 1)])
            kafka.append(records(NUMBERS, [b"5"], partition=1, first_offset=4))
            consumer.rebalance("assign", [TopicPartition(NUMBERS, 1)])
            return False
        return True

    consumer = FakeConsumer(kafka, shutdown, until)
    strategy = KafkaTransactionCommit("test", processor, lambda: FakeTransactionalProducer(kafka))
    StreamLoop(consumer, [NUMBERS], strategy, BATCHING).run(shutdown)
    assert processor.loaded == [[0, 1], [1]]
    assert last_sums(kafka) == {0: b"10", 1: b"15"}


class HangingProducer(FakeTransactionalProducer):
    """Blocks in `send_offsets_to_transaction` past its timeout, as librdkafka can when the
    broker it cached as group coordinator went away (confluentinc/librdkafka#5511)."""

    def __init__(self, kafka: FakeKafka, released: threading.Event) -> None:
        super().__init__(kafka)
        self._released = released

    def send_offsets_to_transaction(
        self, positions: list[TopicPartition], group_metadata: Any, timeout: float = -1
    ) -> None:
        assert self._released.wait(30), "the watchdog never fired"
        super().send_offsets_to_transaction(positions, group_metadata, timeout)


def test_a_transaction_stuck_past_its_timeouts_is_reported_and_nothing_is_committed() -> None:
    kafka = FakeKafka()
    kafka.append(numbers(3))
    released, stuck = threading.Event(), threading.Event()
    reported: list[float] = []

    def on_stuck(seconds: float) -> None:
        reported.append(seconds)
        stuck.set()

    def new_producer() -> HangingProducer:
        return HangingProducer(kafka, released)

    strategy = KafkaTransactionCommit(
        "test", RunningSum(kafka), new_producer, stuck_after=0.2, on_stuck=on_stuck
    )
    shutdown = Shutdown()
    consumer = FakeConsumer(kafka, shutdown, committed_to_end(kafka))
    loop = threading.Thread(target=StreamLoop(consumer, [NUMBERS], strategy, BATCHING).run, args=(shutdown,))
    loop.start()
    try:
        assert stuck.wait(10)
        assert reported[0] > 0.2 and kafka.committed == {}
    finally:
        released.set()
        loop.join(10)
    # The real reaction ends the process; here the call returns and the loop goes on.
    assert committed_to_end(kafka)() and len(reported) == 1


def test_a_stuck_transaction_ends_its_process_and_leaves_the_stack_of_the_call_that_hung() -> None:
    # The real reaction ends the process, so it runs in a child of its own.
    child = textwrap.dedent(
        """
        import threading
        from orderflow_platform.shutdown import Shutdown
        from orderflow_platform.stream.kafka_transaction import KafkaTransactionCommit
        from orderflow_platform.stream.loop import StreamLoop
        from tests.unit.stream.fakes import FakeConsumer, FakeKafka
        from tests.unit.stream.test_kafka_transaction import (
            BATCHING, NUMBERS, HangingProducer, RunningSum, committed_to_end, numbers,
        )

        kafka = FakeKafka()
        kafka.append(numbers(3))
        never = threading.Event()
        strategy = KafkaTransactionCommit(
            "test", RunningSum(kafka), lambda: HangingProducer(kafka, never), stuck_after=0.2
        )
        shutdown = Shutdown()
        consumer = FakeConsumer(kafka, shutdown, committed_to_end(kafka))
        StreamLoop(consumer, [NUMBERS], strategy, BATCHING).run(shutdown)
        """
    )
    command = [sys.executable, "-c", child]
    ended = subprocess.run(command, check=False, capture_output=True, text=True, timeout=30)
    assert ended.returncode == EXIT_STUCK, ended.stderr
    assert "transaction stuck" in ended.stdout + ended.stderr
    assert "in send_offsets_to_transaction" in ended.stderr

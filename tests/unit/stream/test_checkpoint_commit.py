"""The stream loop committing by checkpoint, over fakes of Kafka's clients and the store."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Message

from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.loop import Batching, StreamLoop
from orderflow_platform.stream.postgres_checkpoint import CheckpointCommit
from orderflow_platform.stream.records import PoisonMessage, dead_letter
from tests.unit.stream.fakes import FakeConsumer, FakeDatabase, FakeKafka, FakeProducer, FakeRows, records

NUMBERS, CONSUMER = "numbers", "appender"
BATCHING = Batching(max_records=4, linger_seconds=0.01)


class Appender:
    """A row per number; no upsert, so a number written twice would show."""

    def __init__(self, registry_outages: int = 0) -> None:
        self._outages = registry_outages

    def decode(self, message: Message) -> int:
        if self._outages > 0:
            self._outages -= 1
            raise RegistryUnavailable("the registry is down")
        value = (message.value() or b"").decode()
        if not value.lstrip("-").isdigit():
            raise PoisonMessage("not a number")
        return int(value)

    def write(self, conn: FakeRows, batch: Sequence[int]) -> None:
        conn.insert(batch)


def run(
    kafka: FakeKafka,
    database: FakeDatabase,
    dlq: FakeProducer | None = None,
    handler: Appender | None = None,
    parked_before: Sequence[Message] = (),
) -> FakeProducer:
    shutdown, dlq = Shutdown(), dlq or FakeProducer()
    ends = {p: len(log) for p, log in kafka.log.items()}
    consumer = FakeConsumer(kafka, shutdown, lambda: database.offsets.get(CONSUMER) == ends)
    strategy = CheckpointCommit(
        CONSUMER, handler or Appender(), database.store(CONSUMER), dlq, lambda topic: list(parked_before)
    )
    loop = StreamLoop(consumer, [NUMBERS], strategy, BATCHING)
    loop.run(shutdown)
    assert loop.assigned.is_set() and consumer.closed
    return dlq


def numbers(values: Sequence[int]) -> FakeKafka:
    kafka = FakeKafka()
    kafka.append(records(NUMBERS, [str(n).encode() for n in values]))
    return kafka


def test_rows_and_offsets_are_written_together_batch_by_batch() -> None:
    kafka, database = numbers(range(10)), FakeDatabase()
    run(kafka, database)
    assert database.rows == list(range(10))
    assert database.offsets[CONSUMER] == {(NUMBERS, 0): 10}


def test_a_restart_resumes_from_the_stored_offsets() -> None:
    kafka, database = numbers(range(10)), FakeDatabase()
    database.rows, database.offsets[CONSUMER] = [0, 1, 2], {(NUMBERS, 0): 3}
    run(kafka, database)
    assert database.rows == list(range(10))


def test_poison_is_parked_once_and_the_offsets_move_past_it() -> None:
    kafka = FakeKafka()
    kafka.append(records(NUMBERS, [b"1", b"poison", b"2"]))
    database = FakeDatabase()
    dlq = run(kafka, database)
    assert [(r.topic, r.value) for r in dlq.produced] == [(f"{NUMBERS}.dlq", b"poison")]
    assert dict(dlq.produced[0].headers)["dlq_reason"] == b"not a number"
    assert database.rows == [1, 2] and database.offsets[CONSUMER] == {(NUMBERS, 0): 3}


def test_a_record_parked_by_a_run_that_died_before_its_checkpoint_is_not_parked_again() -> None:
    kafka = FakeKafka()
    kafka.append(records(NUMBERS, [b"1", b"poison", b"2"]))
    earlier = dead_letter(kafka.log[(NUMBERS, 0)][1], "not a number", CONSUMER)
    on_dlq = Message(topic=earlier.topic, partition=0, offset=0, value=earlier.value, headers=earlier.headers)
    database = FakeDatabase()
    dlq = run(kafka, database, parked_before=[on_dlq])
    assert dlq.produced == []
    assert database.rows == [1, 2]


def test_records_the_store_refuses_are_found_by_halving_and_parked() -> None:
    kafka, database = numbers([1, 2, -3, 4, 5, 6, -7, 8]), FakeDatabase()
    dlq = run(kafka, database)
    assert [r.value for r in dlq.produced] == [b"-3", b"-7"]
    assert [dict(r.headers)["dlq_reason"] for r in dlq.produced] == [
        b"refused by postgres: -3 is negative",
        b"refused by postgres: -7 is negative",
    ]
    assert database.rows == [1, 2, 4, 5, 6, 8]
    assert database.offsets[CONSUMER] == {(NUMBERS, 0): 8}


def test_offsets_moved_by_another_writer_fence_the_batch_and_rewind_to_them() -> None:
    kafka, database = numbers(range(10)), FakeDatabase()

    def replay_swaps_in(db: FakeDatabase) -> None:
        # After the first batch: a replay's tables, built up to offset 6, with their offsets.
        db.rows, db.offsets[CONSUMER] = list(range(6)), {(NUMBERS, 0): 6}

    # Transactions: the assignment's, the first batch's; the replay comes before the third.
    database.meanwhile[3] = replay_swaps_in
    dlq = run(kafka, database)
    assert dlq.produced == []
    assert database.rows == list(range(10))
    assert database.offsets[CONSUMER] == {(NUMBERS, 0): 10}


def test_a_store_outage_drops_the_batch_and_reads_it_again() -> None:
    kafka, database = numbers(range(6)), FakeDatabase()
    # The assignment reads the offsets; the first batch's transaction finds the store down.
    database.down_at.add(2)
    run(kafka, database)
    assert database.rows == list(range(6))


def test_a_registry_outage_rewinds_and_parks_nothing() -> None:
    kafka, database = numbers(range(6)), FakeDatabase()
    dlq = run(kafka, database, handler=Appender(registry_outages=1))
    assert dlq.produced == []
    assert database.rows == list(range(6))

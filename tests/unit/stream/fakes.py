"""In-memory stand-ins for Kafka's clients and the checkpoint store, for the stream runtime."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from confluent_kafka import KafkaError, Message, TopicPartition

from orderflow_platform.kafka.clients import Headers
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.checkpoints import FROM_BEGINNING, Refused, StoreUnavailable, Transaction
from orderflow_platform.stream.ports import RebalanceCallback
from orderflow_platform.stream.records import OutRecord, Position

# More polls than any scenario needs: a loop that never finishes fails instead of hanging.
POLL_BUDGET = 2000
# The longest an empty poll waits: keeps a test that polls its budget away within seconds.
IDLE_POLL_SECONDS = 0.005


def records(topic: str, values: Iterable[bytes], partition: int = 0, first_offset: int = 0) -> list[Message]:
    return [
        Message(topic=topic, partition=partition, offset=offset, key=value, value=value)
        for offset, value in enumerate(values, first_offset)
    ]


@dataclass
class FakeKafka:
    """The broker: each partition's records, and the consumer group's committed offsets."""

    log: dict[Position, list[Message]] = field(default_factory=dict)
    committed: dict[Position, int] = field(default_factory=dict)
    written: list[OutRecord] = field(default_factory=list)
    # What the next commits raise, one each, before anything of them is visible (None: none).
    commit_failures: list[Exception | None] = field(default_factory=list)
    # What the next `init_transactions` calls raise, one each (a broker still restarting).
    init_failures: list[Exception] = field(default_factory=list)
    producers: int = 0
    open_producers: int = 0
    # Notified when records are appended, for readers in other threads.
    arrived: threading.Condition = field(default_factory=threading.Condition, repr=False, compare=False)

    def append(self, messages: list[Message]) -> None:
        with self.arrived:
            for message in messages:
                self.log.setdefault((str(message.topic()), int(message.partition() or 0)), []).append(message)
            self.arrived.notify_all()

    def on(self, topic: str) -> list[OutRecord]:
        return [record for record in self.written if record.topic == topic]


class FakeConsumer:
    """A consumer that is given every partition of its topics at its first poll, and asks
    the loop to stop once `until` holds."""

    def __init__(self, kafka: FakeKafka, shutdown: Shutdown, until: Callable[[], bool]) -> None:
        self._kafka, self._shutdown, self._until = kafka, shutdown, until
        self._callbacks: dict[str, RebalanceCallback | None] = {}
        self._rebalances: list[tuple[str, list[TopicPartition]]] = []
        self.positions: dict[Position, int] = {}
        self.paused: set[Position] = set()
        self.polls: list[tuple[int, float]] = []
        self.closed = False

    def subscribe(
        self,
        topics: list[str],
        on_assign: RebalanceCallback | None = None,
        on_revoke: RebalanceCallback | None = None,
        on_lost: RebalanceCallback | None = None,
    ) -> None:
        self._callbacks = {"assign": on_assign, "revoke": on_revoke}
        mine = [TopicPartition(t, p) for t, p in sorted(self._kafka.log) if t in topics]
        self._rebalances.append(("assign", mine))

    def rebalance(self, change: str, partitions: list[TopicPartition]) -> None:
        """Runs at the next poll, as librdkafka runs rebalance callbacks inside `consume`."""
        self._rebalances.append((change, partitions))

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]:
        self.polls.append((num_messages, timeout))
        assert len(self.polls) < POLL_BUDGET, "the loop never got where the test waits for"
        while self._rebalances:
            change, partitions = self._rebalances.pop(0)
            callback = self._callbacks[change]
            assert callback is not None
            callback(self, partitions)
            if change == "revoke":
                for tp in partitions:
                    self.positions.pop((tp.topic, tp.partition), None)
        batch: list[Message] = []
        for position in [p for p in self.positions if p not in self.paused]:
            log = self._kafka.log.get(position, [])
            taken = log[self.positions[position] : self.positions[position] + num_messages - len(batch)]
            self.positions[position] += len(taken)
            batch += taken
        if not batch:
            if self._until():
                self._shutdown.request()
            else:
                self._idle(timeout)
        return batch

    def _idle(self, timeout: float) -> None:
        """Waits as an empty poll does, letting other threads (a state loader) run: a poll
        that returned at once could spin through the budget inside one GIL switch interval
        while the thread the test waits for never got to run."""
        with self._kafka.arrived:
            self._kafka.arrived.wait(IDLE_POLL_SECONDS if timeout < 0 else min(timeout, IDLE_POLL_SECONDS))

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.positions = {(tp.topic, tp.partition): max(tp.offset, 0) for tp in partitions}

    def incremental_assign(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.positions[(tp.topic, tp.partition)] = self._kafka.committed.get((tp.topic, tp.partition), 0)

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t, p in self.positions]

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [
            TopicPartition(tp.topic, tp.partition, self.positions[(tp.topic, tp.partition)])
            for tp in partitions
        ]

    def committed(self, partitions: list[TopicPartition], timeout: float = -1) -> list[TopicPartition]:
        return [
            TopicPartition(tp.topic, tp.partition, self._kafka.committed.get((tp.topic, tp.partition), -1001))
            for tp in partitions
        ]

    def seek(self, partition: TopicPartition) -> None:
        self.positions[(partition.topic, partition.partition)] = max(partition.offset, 0)

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.paused |= {(tp.topic, tp.partition) for tp in partitions}

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.paused -= {(tp.topic, tp.partition) for tp in partitions}

    def consumer_group_metadata(self) -> Any:
        return "group-metadata"

    def close(self) -> None:
        self.closed = True


class FakeReader:
    """A consumer of assigned partitions, read from another thread: a poll waits up to its
    timeout for records, and reports a partition's end each time it reaches it
    (`enable.partition.eof`)."""

    def __init__(self, kafka: FakeKafka) -> None:
        self._kafka = kafka
        self.positions: dict[Position, int] = {}
        self._reported_end: dict[Position, int] = {}
        self.paused: set[Position] = set()
        self.closed = False

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> Any:
        partitions: dict[str, dict[int, None]] = {}
        for t, p in sorted(self._kafka.log):
            partitions.setdefault(t, {})[p] = None
        return SimpleNamespace(
            topics={t: SimpleNamespace(partitions=ps, error=None) for t, ps in partitions.items()}
        )

    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]:
        with self._kafka.arrived:
            return 0, len(self._kafka.log.get((partition.topic, partition.partition), []))

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.positions = {(tp.topic, tp.partition): max(tp.offset, 0) for tp in partitions}

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]:
        with self._kafka.arrived:
            self._kafka.arrived.wait_for(self._news, None if timeout < 0 else timeout)
            batch: list[Message] = []
            for position, offset in self._unpaused():
                log = self._kafka.log.get(position, [])
                taken = log[offset : offset + num_messages - len(batch)]
                self.positions[position] += len(taken)
                batch += taken
                if self.positions[position] == len(log) and self._reported_end.get(position) != len(log):
                    self._reported_end[position] = len(log)
                    eof = KafkaError(KafkaError._PARTITION_EOF)
                    batch.append(
                        Message(topic=position[0], partition=position[1], offset=len(log), error=eof)
                    )
            return batch

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.paused |= {(tp.topic, tp.partition) for tp in partitions}

    def close(self) -> None:
        self.closed = True

    def _unpaused(self) -> list[tuple[Position, int]]:
        return [
            (position, offset) for position, offset in self.positions.items() if position not in self.paused
        ]

    def _news(self) -> bool:
        """Whether a poll has records or an end to report."""
        return any(
            offset < len(self._kafka.log.get(position, [])) or self._reported_end.get(position) != offset
            for position, offset in self._unpaused()
        )


class FakeProducer:
    """A plain producer (the checkpointed loop's DLQ): what it was given is delivered."""

    def __init__(self) -> None:
        self.produced: list[OutRecord] = []

    def produce(
        self,
        topic: str,
        value: str | bytes | None = None,
        key: str | bytes | None = None,
        partition: int = -1,
        *,
        headers: Headers = None,
    ) -> None:
        assert not isinstance(value, str) and not isinstance(key, str)
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        self.produced.append(OutRecord(topic, value, key, None if partition < 0 else partition, pairs))

    def flush(self, timeout: float = -1) -> int:
        return 0


class FakeTransactionalProducer(FakeProducer):
    """Makes a transaction's records and offsets visible in `kafka` together, at commit."""

    def __init__(self, kafka: FakeKafka) -> None:
        super().__init__()
        self._kafka = kafka
        self._offsets: list[TopicPartition] = []
        kafka.producers += 1
        kafka.open_producers += 1
        self.closed = False

    def init_transactions(self, timeout: float = -1) -> None:
        """Nothing to fence in memory; fails while the fake broker says so."""
        # Two open producers with one transactional id would fence each other in turn.
        assert self._kafka.open_producers == 1, "an older producer with this id is still open"
        if self._kafka.init_failures:
            raise self._kafka.init_failures.pop(0)

    def close(self) -> bool:
        if self.closed:
            raise RuntimeError("Producer has been closed")
        self._kafka.open_producers -= 1
        self.closed = True
        return True

    def flush(self, timeout: float = -1) -> int:
        # confluent-kafka raises RuntimeError on any call to a closed producer.
        if self.closed:
            raise RuntimeError("Producer has been closed")
        return 0

    def begin_transaction(self) -> None:
        self.produced, self._offsets = [], []

    def send_offsets_to_transaction(
        self, positions: list[TopicPartition], group_metadata: Any, timeout: float = -1
    ) -> None:
        self._offsets = positions

    def commit_transaction(self, timeout: float = -1) -> None:
        failure = self._kafka.commit_failures.pop(0) if self._kafka.commit_failures else None
        if failure is not None:
            raise failure
        self._kafka.written += self.produced
        self._kafka.committed.update({(tp.topic, tp.partition): tp.offset for tp in self._offsets})

    def abort_transaction(self, timeout: float = -1) -> None:
        self.produced = []


class FakeRows:
    """A table of numbers that refuses negative ones, as Postgres refuses a value."""

    def __init__(self, rows: list[int]) -> None:
        self.rows = rows

    def insert(self, values: Iterable[int]) -> None:
        for value in values:
            if value < 0:
                raise Refused(f"{value} is negative")
            self.rows.append(value)


class FakeCheckpoints:
    def __init__(self, offsets: dict[Position, int]) -> None:
        self._offsets = offsets

    def lock(self) -> dict[Position, int]:
        return dict(self._offsets)

    def claim(self, partitions: Iterable[Position]) -> None:
        for partition in partitions:
            self._offsets.setdefault(partition, FROM_BEGINNING)

    def store(self, next_offsets: Mapping[Position, int]) -> None:
        self._offsets.update(next_offsets)

    def replace(self, next_offsets: Mapping[Position, int]) -> None:
        self._offsets.clear()
        self._offsets.update(next_offsets)


@dataclass
class FakeDatabase:
    """Rows and every consumer's offsets; a transaction works on copies, kept at commit."""

    rows: list[int] = field(default_factory=list)
    offsets: dict[str, dict[Position, int]] = field(default_factory=dict)
    transactions: int = 0
    # By transaction number (from 1), what another writer does just before it.
    meanwhile: dict[int, Callable[[FakeDatabase], None]] = field(default_factory=dict)
    # The numbers of the transactions that find the database down.
    down_at: set[int] = field(default_factory=set)

    def store(self, consumer: str) -> FakeCheckpointStore:
        return FakeCheckpointStore(self, consumer)


class FakeCheckpointStore:
    def __init__(self, database: FakeDatabase, consumer: str) -> None:
        self._database, self._consumer = database, consumer

    @contextmanager
    def transaction(self) -> Iterator[Transaction[FakeRows]]:
        database = self._database
        database.transactions += 1
        if database.transactions in database.meanwhile:
            database.meanwhile[database.transactions](database)
        if database.transactions in database.down_at:
            raise StoreUnavailable("the database is down")
        rows, offsets = list(database.rows), dict(database.offsets.get(self._consumer, {}))
        yield Transaction(FakeRows(rows), FakeCheckpoints(offsets))
        database.rows, database.offsets[self._consumer] = rows, offsets

    def close(self) -> None:
        """Nothing to let go of."""

"""The running aggregator against counts taken straight from orders.created.

Each test places its orders in a minute of its own, far in the past, so nothing else lands
in that window; such orders are late on arrival, so their window is final at once and every
later order updates it again. A window is compared once the aggregator has committed past
every record that could count in it.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, Producer, TopicPartition
from confluent_kafka.serialization import SerializationError
from google.protobuf.message import Message as ProtoMessage
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.metrics.v1 import events_pb2 as agg
from orderflow.metrics.v1.events_pb2 import OrderRateWindow
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem

from aggregator.adapters.events import ORDERS, RATE, WINDOW_ORDERS, WINDOWS, window_key
from aggregator.bootstrap import GROUP_ID
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.log_search import partition_for
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings
from tests.integration.helpers import DeadLetterQueue, eventually
from tests.integration.inventory_helpers import kill_and_await_restart
from tests.integration.poison import poison

M = TypeVar("M", bound=ProtoMessage)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
PARTITIONS = 6


class Harness:
    def __init__(self, settings: Settings, unique: str) -> None:
        registry = clients.registry_client(settings.registry)
        self.settings = settings
        self.orders = ProtobufCodec(registry, OrderCreated)
        self.rates = ProtobufCodec(registry, OrderRateWindow)
        self.states = ProtobufCodec(registry, agg.WindowState)
        self.producer: Producer = clients.producer(settings.kafka, partitioner="murmur2_random")
        self.reader: Consumer = clients.consumer(
            settings.kafka, group_id=f"test-{unique}", **{"enable.partition.eof": True}
        )
        # A minute of this test's own, somewhere in 2000-2019.
        self.minute = EPOCH + timedelta(minutes=int(unique, 16) % 10_000_000)
        self.key = window_key(self.minute)
        self.starts = self._ends(ORDERS)
        # Reads the aggregator group's committed offsets; never subscribes, never joins it.
        self._group = clients.consumer(settings.kafka, group_id=GROUP_ID)

    def place(self, n: int, user: str, v1_every: int = 3) -> None:
        """n orders of this minute; every v1_every-th without a currency, as V1 wrote them."""
        for i in range(n):
            created_at = Timestamp()
            created_at.FromDatetime(self.minute + timedelta(seconds=i % 60, microseconds=i))
            event = OrderCreated(
                order_id=str(uuid.uuid4()),
                user_id=f"{user}-{i % 7}",
                items=[OrderItem(sku="AGG-NONE", quantity=1, unit_price_cents=100 + i)],
                total_cents=100 + i,
                created_at=created_at,
                currency="" if i % v1_every == 0 else "EUR",
            )
            self.producer.produce(ORDERS, key=event.user_id.encode(), value=self.orders.encode(ORDERS, event))
        assert self.producer.flush(30) == 0

    def park(self, kind: str, user: str) -> None:
        valid = self.orders.encode(ORDERS, OrderCreated(order_id=str(uuid.uuid4()), user_id=user))
        self.producer.produce(ORDERS, key=user.encode(), value=poison(kind, valid))
        assert self.producer.flush(30) == 0

    def counted_in_log(self) -> tuple[int, dict[str, tuple[int, int]]]:
        """The orders of this minute on orders.created since the test began, per currency."""
        ends = self._ends(ORDERS)
        per_currency: Counter[str] = Counter()
        cents: Counter[str] = Counter()
        for message in self._read(ORDERS, self.starts, ends):
            try:
                event = self.orders.decode(ORDERS, message.value() or b"")
            except SerializationError:  # the poison records: never an order
                continue
            at = event.created_at.ToDatetime(UTC) if event.HasField("created_at") else None
            if at is not None and timedelta(0) <= at - self.minute < timedelta(minutes=1):
                currency = event.currency or "USD"
                per_currency[currency] += 1
                cents[currency] += event.total_cents
        return sum(per_currency.values()), {c: (per_currency[c], cents[c]) for c in per_currency}

    def settled_window(self) -> OrderRateWindow:
        """This minute's latest published value, once the aggregator has consumed and
        published everything written so far."""
        self._await_committed(ORDERS, self._ends(ORDERS), markers=0)
        # The aggregator writes window-orders in transactions: a commit marker ends it.
        self._await_committed(WINDOW_ORDERS, self._ends(WINDOW_ORDERS), markers=1)
        partition = partition_for(self.key, PARTITIONS)

        def published_state() -> agg.WindowState | None:
            state = self._latest(WINDOWS, partition, self.states)
            return state if state is not None and state.counted == state.published else None

        # Each probe reads the partition whole: not too often.
        state = eventually(published_state, 60, every=0.5)
        window = self._latest(RATE, partition, self.rates)
        assert isinstance(window, OrderRateWindow)
        assert window == state.published
        return window

    def close(self) -> None:
        self.reader.close()
        self._group.close()

    def _latest(self, topic: str, partition: int, codec: ProtobufCodec[M]) -> M | None:
        start = {partition: OFFSET_BEGINNING}
        end = {partition: self.reader.get_watermark_offsets(TopicPartition(topic, partition))[1]}
        latest = None
        for message in self._read(topic, start, end):
            if message.key() == self.key:
                latest = codec.decode(topic, message.value() or b"")
        return latest

    def _ends(self, topic: str) -> dict[int, int]:
        return {p: self.reader.get_watermark_offsets(TopicPartition(topic, p))[1] for p in range(PARTITIONS)}

    def _read(self, topic: str, starts: dict[int, int], ends: dict[int, int]) -> Iterator[Message]:
        """read_committed, each partition from its start to its end (or the stable end before it)."""
        behind = {p for p in starts if ends[p] > 0}
        self.reader.assign([TopicPartition(topic, p, starts[p]) for p in behind])
        while behind:
            message = self.reader.poll(1.0)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                assert error.code() == KafkaError._PARTITION_EOF, error
                behind.discard(int(message.partition() or 0))
                continue
            yield message
        self.reader.unassign()

    def _await_committed(self, topic: str, ends: dict[int, int], markers: int) -> None:
        def caught_up() -> bool:
            committed = self._group.committed([TopicPartition(topic, p) for p in ends], 10)
            return all(
                tp.offset >= ends[tp.partition] - markers or ends[tp.partition] == 0 for tp in committed
            )

        eventually(caught_up, 90)


@pytest.fixture
def harness(settings: Settings, unique: str) -> Iterator[Harness]:
    h = Harness(settings, unique)
    yield h
    h.close()


def assert_window_equals_log(harness: Harness, expected: int) -> None:
    window = harness.settled_window()
    count, currencies = harness.counted_in_log()
    assert count == expected
    assert window.order_count == count
    assert window.final
    assert {c.currency: (c.order_count, c.total_cents) for c in window.currencies} == currencies
    assert window.window_seconds == 60 and window.orders_per_second == pytest.approx(count / 60)
    assert window.window_start.ToDatetime(UTC) == harness.minute


def test_a_closed_window_counts_every_order_of_its_minute_v1_as_usd(harness: Harness, unique: str) -> None:
    harness.place(120, f"agg-{unique}")
    assert_window_equals_log(harness, 120)
    harness.place(30, f"agg-{unique}")  # late again: the final window is updated
    assert_window_equals_log(harness, 150)


def test_kill_9_mid_window_loses_and_repeats_nothing(harness: Harness, unique: str) -> None:
    done = threading.Event()

    def stream() -> None:
        for _ in range(20):
            harness.place(25, f"agg-{unique}")
        done.set()

    writer = threading.Thread(target=stream)
    writer.start()
    eventually(lambda: harness._latest(RATE, partition_for(harness.key, PARTITIONS), harness.rates), 60)
    kill_and_await_restart("aggregator")
    writer.join(120)
    assert done.is_set()
    assert_window_equals_log(harness, 500)


def test_an_undecodable_order_is_parked_once_and_the_window_stays_exact(
    harness: Harness, settings: Settings, unique: str
) -> None:
    user = f"agg-{unique}-poison"
    dlq = DeadLetterQueue(clients.consumer(settings.kafka, group_id=f"test-dlq-{unique}"), ORDERS)
    try:
        harness.place(10, f"agg-{unique}")
        harness.park("truncated", user)
        harness.place(10, f"agg-{unique}")
        assert_window_equals_log(harness, 20)
        parked = dlq.parked(user.encode(), by=GROUP_ID)
        assert dlq.count(user.encode(), by=GROUP_ID) == 1
    finally:
        dlq.close()
    assert b"undecodable" in (dict(parked.headers() or [])["dlq_reason"] or b"")

"""The aggregator's stream processor: two steps in one consumer group, each output committed
with its input offsets in one Kafka transaction by the stream runtime.

1. orders.created N -> aggregator.window-orders, keyed by window start. Orders of one minute
   sit in every partition of orders.created; re-keyed, all of them reach one partition.
2. aggregator.window-orders N -> the windows of partition N: each window a batch changed is
   recorded once, at the end of the batch, on the compacted aggregator.windows N in the
   batch's transaction, and the clock publishes the windows on metrics.order.rate
   (running, then final). State is per partition N and is
   read back from aggregator.windows N when N is assigned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

from confluent_kafka import Message, TopicPartition
from google.protobuf.message import Message as ProtoMessage
from orderflow.metrics.v1 import events_pb2 as agg
from orderflow.metrics.v1.events_pb2 import OrderRateWindow
from orderflow.order.v1.events_pb2 import OrderCreated
from prometheus_client import Counter

from aggregator import handlers
from aggregator.adapters import events
from aggregator.domain.windows import Policy, Window, Windows
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.stream.codecs import TopicCodecs
from orderflow_platform.stream.reading import read_to_end
from orderflow_platform.stream.records import OutRecord, PoisonMessage

log = get_logger(__name__)
COUNTED = Counter("orderflow_aggregator_orders_counted_total", "Orders counted into their window")
LATE = Counter("orderflow_aggregator_late_orders_total", "Orders that reached their window after it closed")
PUBLISHED = Counter("orderflow_aggregator_windows_published_total", "Window values published", ["final"])


def message_types(topics: events.Topics = events.LIVE) -> dict[str, type[ProtoMessage]]:
    """Every topic the processor reads or writes, with its message type."""
    return {
        topics.orders: OrderCreated,
        topics.window_orders: agg.WindowedOrder,
        topics.windows: agg.WindowState,
        topics.rate: OrderRateWindow,
    }


class AggregatorProcessor:
    """A StreamProcessor and the loop's Punctuator; `clock` is wall-clock UTC, which is
    also the clock order_svc stamps created_at with."""

    def __init__(
        self,
        kafka: KafkaSettings,
        codecs: TopicCodecs,
        policy: Policy,
        topics: events.Topics = events.LIVE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._kafka, self._codecs, self._policy, self._clock = kafka, codecs, policy, clock
        self.topics = topics
        self._windows: dict[int, Windows] = {}

    def load(self, partitions: Sequence[TopicPartition]) -> Callable[[], None]:
        loaded = {
            tp.partition: self._read_windows(tp.partition)
            for tp in partitions
            if tp.topic == self.topics.window_orders
        }
        return lambda: self._windows.update(loaded)

    def revoked(self, partitions: Sequence[TopicPartition]) -> None:
        for tp in partitions:
            if tp.topic == self.topics.window_orders:
                self._windows.pop(tp.partition, None)

    def process(self, message: Message) -> list[OutRecord]:
        decoded = self._codecs.decode(message)
        try:
            if isinstance(decoded, OrderCreated):
                routed = handlers.route_order(events.order(decoded))
                record = events.windowed_order_record(routed)
                return [
                    self._codecs.record(self.topics.window_orders, events.window_key(routed.start), record)
                ]
            assert isinstance(decoded, agg.WindowedOrder)
            partition = int(message.partition() or 0)
            late = handlers.count_order(
                events.windowed_order(decoded), self._windows[partition], self._clock()
            )
        except events.InvalidEvent as invalid:
            raise PoisonMessage(str(invalid)) from invalid
        COUNTED.inc()
        if late:
            LATE.inc()
        # Recorded by punctuate(), which the loop calls before it commits this batch.
        return []

    @property
    def inputs(self) -> tuple[str, str]:
        return (self.topics.orders, self.topics.window_orders)

    def due(self) -> bool:
        now = self._clock()
        return any(windows.due(now) for windows in self._windows.values())

    def punctuate(self) -> list[OutRecord]:
        now, records = self._clock(), []
        for partition, windows in self._windows.items():
            published, changed = handlers.publish_due(windows, now)
            for window in published:
                PUBLISHED.labels(str(window.counted.final).lower()).inc()
                key = events.window_key(window.start)
                records.append(self._codecs.record(self.topics.rate, key, events.rate_window(window.counted)))
                records.append(self._state_record(window, partition))
            records += [self._state_record(window, partition) for window in changed]
        return records

    def _state_record(self, window: Window, partition: int) -> OutRecord:
        # Into the partition the window's orders come from, where load() reads it back.
        key, state = events.window_key(window.start), events.window_state_record(window)
        return self._codecs.record(self.topics.windows, key, state, partition)

    def _read_windows(self, partition: int) -> Windows:
        return Windows(self._policy, {w.start: w for w in self._changelog(partition)})

    def _changelog(self, partition: int) -> Iterator[Window]:
        for message in read_to_end(self._kafka, self.topics.windows, {partition}):
            try:
                decoded = self._codecs.decode(message)
                assert isinstance(decoded, agg.WindowState)
                yield events.window(decoded)
            except PoisonMessage as poison:
                # Not written by this service (its own records always decode): someone
                # else's bad record, which never was part of the state.
                log.warning(
                    "changelog record skipped",
                    topic=self.topics.windows,
                    offset=message.offset(),
                    reason=str(poison),
                )

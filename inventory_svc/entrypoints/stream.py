"""The inventory's stream processor: Kafka records in, handler steps, Kafka records out.

One replica consumes orders.created, inventory.commands and inventory.line-results in one
consumer group; the range assignor gives it partition N of all three, and so the stock of
the SKUs and the sagas of the orders in partition N. Every output of a batch and the
batch's offsets are committed in one Kafka transaction by the stream runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message, TopicPartition
from google.protobuf.message import Message as ProtoMessage
from orderflow.inventory.v1 import events_pb2 as inv
from orderflow.order.v1.events_pb2 import OrderCreated
from prometheus_client import Counter, Histogram

from inventory_svc import handlers
from inventory_svc.adapters import events
from inventory_svc.domain.commands import (
    LineDecided,
    Output,
    ReleaseLine,
    ReserveLine,
    SagaChanged,
    SetOnHand,
    StockChanged,
)
from inventory_svc.domain.saga import Confirmed, OrderSaga, Rejected
from inventory_svc.handlers import InventoryState
from orderflow_platform.kafka.log_search import partition_for
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.stream.codecs import TopicCodecs
from orderflow_platform.stream.reading import partition_count, read_to_end
from orderflow_platform.stream.records import OutRecord, PoisonMessage

SETTLED = Counter("orderflow_inventory_orders_settled_total", "Orders settled", ["outcome"])
SETTLE_SECONDS = Histogram(
    "orderflow_inventory_settle_seconds",
    "From OrderCreated to its outcome",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
log = get_logger(__name__)
M = TypeVar("M", bound=ProtoMessage)
INPUTS = (events.ORDERS, events.COMMANDS, events.LINE_RESULTS)


# Every topic the processor reads or writes, with its message type.
MESSAGE_TYPES: dict[str, type[ProtoMessage]] = {
    events.ORDERS: OrderCreated,
    events.COMMANDS: inv.StockCommand,
    events.STOCK: inv.StockLevel,
    events.LINE_RESULTS: inv.LineResult,
    events.PROGRESS: inv.OrderProgress,
    events.RESERVED: inv.OrderReserved,
    events.FAILED: inv.OrderRejected,
}


def written_at(message: Message) -> datetime | None:
    """The record's timestamp: for the changelogs this service writes, its producer's clock
    when it wrote the record."""
    kind, milliseconds = message.timestamp()
    if kind == TIMESTAMP_NOT_AVAILABLE:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


class InventoryProcessor:
    """Keeps state per partition number: the stock of the SKUs of inventory.commands N and
    the sagas of the orders of orders.created N (and inventory.line-results N, its replies).
    A partition's state is read when it is assigned and dropped when it is revoked, so a
    rebalance costs only the partitions that moved."""

    def __init__(self, kafka: KafkaSettings, codecs: TopicCodecs) -> None:
        self._kafka, self._codecs = kafka, codecs
        self._stock: dict[int, InventoryState] = {}
        self._sagas: dict[int, InventoryState] = {}
        # Per saga partition, which of its two input topics this member holds.
        self._saga_topics: dict[int, set[str]] = {}
        # Outcomes of the open transaction (outcome, order accepted at): counted only once
        # it commits, since an aborted batch is processed again.
        self._settling: list[tuple[str, datetime]] = []
        # inventory.commands' partition count, to tell which SKUs' stock is held here.
        self._command_partitions: int | None = None

    @property
    def state(self) -> InventoryState:
        """Everything this member holds, as one state (for inspection)."""
        merged = InventoryState()
        for owned in self._stock.values():
            merged.stock.update(owned.stock)
        for coordinated in self._sagas.values():
            merged.sagas.update(coordinated.sagas)
            merged.settled.update(coordinated.settled)
        return merged

    def load(self, partitions: Sequence[TopicPartition]) -> Callable[[], None]:
        stock = {
            tp.partition: self._read_stock(tp.partition) for tp in partitions if tp.topic == events.COMMANDS
        }
        coordinated = {tp.partition for tp in partitions if tp.topic != events.COMMANDS}
        sagas = {p: self._read_sagas(p) for p in coordinated if p not in self._saga_topics}
        command_partitions = self._command_partitions or self._partitions_of(events.COMMANDS)

        def install() -> None:
            self._command_partitions = command_partitions
            self._stock.update(stock)
            for partition, state in sagas.items():
                # A saga partition held through its other topic keeps its live state.
                self._sagas.setdefault(partition, state)
            for tp in partitions:
                if tp.topic != events.COMMANDS:
                    self._saga_topics.setdefault(tp.partition, set()).add(tp.topic)

        return install

    def revoked(self, partitions: Sequence[TopicPartition]) -> None:
        # Between batches (a rebalance) nothing is settling; after a failed transaction the
        # loop revokes every partition, and what the batch settled never happened.
        self._settling.clear()
        for tp in partitions:
            if tp.topic == events.COMMANDS:
                self._stock.pop(tp.partition, None)
                continue
            held = self._saga_topics.get(tp.partition, set())
            held.discard(tp.topic)
            if not held:
                self._saga_topics.pop(tp.partition, None)
                self._sagas.pop(tp.partition, None)

    def _partitions_of(self, topic: str) -> int:
        return partition_count(self._kafka, topic)

    def _read_stock(self, partition: int) -> InventoryState:
        state = InventoryState()
        for _, level in self._changelog(events.STOCK, partition, inv.StockLevel):
            state.stock[level.sku] = events.stock(level)
        return state

    def _read_sagas(self, partition: int) -> InventoryState:
        # The latest progress of each order wins, as compaction would keep it; a settled
        # order is never open again.
        open_sagas: dict[str, OrderSaga] = {}
        settled = handlers.settled_orders()
        for recorded_at, progress in self._changelog(events.PROGRESS, partition, inv.OrderProgress):
            if progress.settled:
                open_sagas.pop(progress.order_id, None)
                settled.add(progress.order_id, recorded_at)
            elif progress.order_id not in settled:
                open_sagas[progress.order_id] = events.saga(progress)
        return InventoryState.of_sagas(open_sagas.values(), settled)

    def _changelog(self, topic: str, partition: int, kind: type[M]) -> Iterator[tuple[datetime | None, M]]:
        """Each record of `kind`, with when it was written."""
        for message in read_to_end(self._kafka, topic, {partition}):
            try:
                decoded = self._codecs.decode(message)
            except PoisonMessage as poison:
                # Not written by this service (its own records always decode): someone
                # else's bad record, which never was part of the state.
                log.warning(
                    "changelog record skipped", topic=topic, offset=message.offset(), reason=str(poison)
                )
                continue
            if isinstance(decoded, kind):
                yield written_at(message), decoded

    def process(self, message: Message) -> list[OutRecord]:
        decoded = self._codecs.decode(message)
        partition = int(message.partition() or 0)
        try:
            if isinstance(decoded, OrderCreated):
                state = self._sagas[partition]
                order = events.placed_order(decoded)
                outputs = handlers.place_order(order, partition, state, self._local_stock)
            elif isinstance(decoded, inv.StockCommand):
                outputs = handlers.apply_command(events.stock_command(decoded), self._stock[partition])
            else:
                assert isinstance(decoded, inv.LineResult)
                state = self._sagas[partition]
                result = events.line_result(decoded)
                outputs = handlers.settle_line(result, partition, state, self._local_stock)
        except events.InvalidEvent as invalid:
            raise PoisonMessage(str(invalid)) from invalid
        return [self._record(output) for output in outputs]

    def _local_stock(self, sku: str) -> InventoryState | None:
        """The stock state of the SKU's commands partition, when this member holds it: the
        one place the SKU is written, whoever decides a line of it."""
        if self._command_partitions is None:
            return None
        return self._stock.get(partition_for(sku.encode(), self._command_partitions))

    def _record(self, output: Output) -> OutRecord:
        codecs = self._codecs
        match output:
            case StockChanged(stock, cause_id):
                return codecs.record(events.STOCK, stock.sku, events.stock_level(stock, cause_id))
            case SetOnHand() | ReserveLine() | ReleaseLine():
                return codecs.record(events.COMMANDS, output.sku, events.stock_command_record(output))
            case LineDecided(result, reply_partition):
                record = events.line_result_record(result)
                return codecs.record(events.LINE_RESULTS, result.order_id, record, reply_partition)
            case SagaChanged(saga, partition):
                return codecs.record(
                    events.PROGRESS, saga.order.order_id, events.progress_record(saga), partition
                )
            case Confirmed(order):
                self._settled("reserved", order.created_at)
                return codecs.record(events.RESERVED, order.order_id, events.reserved_record(order))
            case Rejected(order, short):
                self._settled("failed", order.created_at)
                rejected = events.rejected_record(order, short, output.reason)
                return codecs.record(events.FAILED, order.order_id, rejected)

    def _settled(self, outcome: str, created_at: datetime) -> None:
        self._settling.append((outcome, created_at))

    def committed(self) -> None:
        """The transaction holding the outcomes settled since the last call is committed."""
        now = datetime.now(UTC)
        for outcome, created_at in self._settling:
            SETTLED.labels(outcome).inc()
            SETTLE_SECONDS.observe(max((now - created_at).total_seconds(), 0.0))
        self._settling.clear()

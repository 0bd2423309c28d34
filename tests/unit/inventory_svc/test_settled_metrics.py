"""An order's outcome is counted once it is committed, and once: a transaction that aborts
after settling it is processed again, and used to count it twice."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from confluent_kafka import KafkaError, KafkaException, Message
from google.protobuf.message import Message as ProtoMessage
from orderflow.inventory.v1 import events_pb2 as inv
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem
from prometheus_client import REGISTRY

from inventory_svc.adapters import events
from inventory_svc.entrypoints.stream import INPUTS, MESSAGE_TYPES, InventoryProcessor, M
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.codecs import TopicCodecs
from orderflow_platform.stream.kafka_transaction import KafkaTransactionCommit
from orderflow_platform.stream.loop import Batching, StreamLoop
from orderflow_platform.stream.records import OutRecord
from tests.unit.stream.fakes import FakeConsumer, FakeKafka, FakeTransactionalProducer

# As config/topics.yaml makes them.
PARTITIONS = 6


class PlainCodecs(TopicCodecs):
    """Protobuf without the registry's framing: no registry in a unit test."""

    def __init__(self, message_types: Mapping[str, type[ProtoMessage]]) -> None:
        self._types = message_types

    def decode(self, message: Message) -> ProtoMessage:
        return self._types[str(message.topic())].FromString(message.value() or b"")

    def record(
        self, topic: str, key: str | bytes, value: ProtoMessage, partition: int | None = None
    ) -> OutRecord:
        encoded_key = key.encode() if isinstance(key, str) else key
        return OutRecord(topic, value.SerializeToString(), encoded_key, partition)


class ChangelogsInMemory(InventoryProcessor):
    """Reads its changelogs from what the fake broker committed."""

    def __init__(self, kafka: FakeKafka) -> None:
        super().__init__(KafkaSettings(), PlainCodecs(MESSAGE_TYPES))
        self._broker = kafka

    def _partitions_of(self, topic: str) -> int:
        return PARTITIONS

    def _changelog(self, topic: str, partition: int, kind: type[M]) -> Iterator[tuple[datetime | None, M]]:
        for record in self._broker.on(topic):
            if record.partition == partition:
                yield None, kind.FromString(record.value or b"")


def settled(outcome: str) -> float:
    return REGISTRY.get_sample_value("orderflow_inventory_orders_settled_total", {"outcome": outcome}) or 0.0


def run(kafka: FakeKafka, processor: InventoryProcessor) -> None:
    shutdown = Shutdown()
    ended = lambda: all(kafka.committed.get(p) == len(log) for p, log in kafka.log.items())  # noqa: E731
    consumer = FakeConsumer(kafka, shutdown, ended)
    strategy = KafkaTransactionCommit(
        "test-inventory",
        processor,
        lambda: FakeTransactionalProducer(kafka),
        on_commit=processor.committed,  # as inventory_svc/bootstrap.py wires it
    )
    StreamLoop(consumer, list(INPUTS), strategy, Batching(max_records=10, linger_seconds=0.01)).run(shutdown)


def test_an_outcome_settled_in_an_aborted_transaction_is_counted_once_when_it_commits() -> None:
    kafka = FakeKafka()
    created = OrderCreated(
        order_id="o-abort", user_id="u1", items=[OrderItem(sku="S1", quantity=1, unit_price_cents=5)]
    )
    created.created_at.FromDatetime(datetime.now(UTC))
    kafka.append([Message(topic=events.ORDERS, partition=0, offset=0, value=created.SerializeToString())])
    run(kafka, ChangelogsInMemory(kafka))  # the saga starts, its progress on the changelog
    kafka.open_producers -= 1  # that member is gone, its producer with it

    answer = inv.LineResult(order_id="o-abort", sku="S1", quantity_requested=1, reserved=True)
    kafka.append(
        [Message(topic=events.LINE_RESULTS, partition=0, offset=0, value=answer.SerializeToString())]
    )
    abortable = KafkaError(KafkaError._STATE, "abortable", txn_requires_abort=True)
    kafka.commit_failures.append(KafkaException(abortable))
    before = settled("reserved")
    run(kafka, ChangelogsInMemory(kafka))

    assert len(kafka.on(events.RESERVED)) == 1
    assert settled("reserved") - before == 1

"""Driving the running inventory replicas: orders straight onto orders.created, stock over
gRPC, outcomes read back from inventory.reserved and inventory.failed."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

import grpc
from confluent_kafka import KafkaError, TopicPartition
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.inventory.v1 import events_pb2 as inv
from orderflow.inventory.v1 import inventory_service_pb2 as pb
from orderflow.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem

from devstack import control, supervisor
from inventory_svc.adapters.events import FAILED, ORDERS, RESERVED
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually

REPLICAS = {"inventory_svc-1": "127.0.0.1:50052", "inventory_svc-2": "127.0.0.1:50053"}


@dataclass(frozen=True)
class Outcome:
    order_id: str
    confirmed: bool
    event: inv.OrderReserved | inv.OrderRejected
    key: bytes
    partition: int


class Inventory:
    def __init__(self, settings: Settings) -> None:
        registry = clients.registry_client(settings.registry)
        self.orders_codec = ProtobufCodec(registry, OrderCreated)
        self.reserved_codec = ProtobufCodec(registry, inv.OrderReserved)
        self.rejected_codec = ProtobufCodec(registry, inv.OrderRejected)
        self.producer = clients.producer(settings.kafka, partitioner="murmur2_random")
        self.channel = grpc.insecure_channel(REPLICAS["inventory_svc-1"])
        self.stub = pb_grpc.InventoryServiceStub(self.channel)
        self.outcomes = clients.consumer(settings.kafka, group_id=f"test-{uuid.uuid4().hex}")
        metadata = self.outcomes.list_topics(timeout=10).topics
        self.partitions = {topic: len(metadata[topic].partitions) for topic in (RESERVED, FAILED)}
        ends = [TopicPartition(t, p) for t in (RESERVED, FAILED) for p in metadata[t].partitions]
        self.outcomes.assign(
            [
                TopicPartition(tp.topic, tp.partition, self.outcomes.get_watermark_offsets(tp)[1])
                for tp in ends
            ]
        )
        self.seen: list[Outcome] = []

    def set_stock(self, sku: str, quantity: int, address: str | None = None) -> pb.Stock:
        stub = self.stub if address is None else pb_grpc.InventoryServiceStub(grpc.insecure_channel(address))
        stock: pb.Stock = stub.SetStock(pb.SetStockRequest(sku=sku, quantity=quantity), timeout=30)
        return stock

    def stock(self, sku: str) -> pb.Stock:
        stock: pb.Stock = self.stub.GetStock(pb.GetStockRequest(sku=sku), timeout=10)
        return stock

    def place(self, user: str, *lines: tuple[str, int], order_id: str | None = None) -> str:
        """Appends an OrderCreated as order_svc does (keyed by user); returns its order id."""
        order_id = order_id or str(uuid.uuid4())
        created_at = Timestamp()
        created_at.GetCurrentTime()
        event = OrderCreated(
            order_id=order_id,
            user_id=user,
            items=[OrderItem(sku=sku, quantity=q, unit_price_cents=100) for sku, q in lines],
            total_cents=100 * sum(q for _sku, q in lines),
            created_at=created_at,
        )
        self.producer.produce(ORDERS, key=user.encode(), value=self.orders_codec.encode(ORDERS, event))
        return order_id

    def flush(self) -> None:
        assert self.producer.flush(30) == 0

    def settle(self, order_ids: list[str], deadline_seconds: float = 90.0) -> dict[str, Outcome]:
        """Waits until every order has an outcome; fails on any order with two."""
        self.flush()
        wanted = set(order_ids)

        def all_in() -> bool:
            self._read()
            return wanted <= {o.order_id for o in self.seen}

        eventually(all_in, deadline_seconds)
        counts = Counter(o.order_id for o in self.seen if o.order_id in wanted)
        assert [order for order, n in counts.items() if n > 1] == []
        return {o.order_id: o for o in self.seen if o.order_id in wanted}

    def _read(self) -> None:
        while (message := self.outcomes.poll(0.2)) is not None:
            error = message.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                continue
            assert error is None, error
            topic, key, value = str(message.topic()), message.key(), message.value()
            assert key is not None and value is not None
            partition = message.partition()
            assert partition is not None
            if topic == RESERVED:
                reserved = self.reserved_codec.decode(topic, value)
                self.seen.append(Outcome(reserved.order_id, True, reserved, key, partition))
            else:
                rejected = self.rejected_codec.decode(topic, value)
                self.seen.append(Outcome(rejected.order_id, False, rejected, key, partition))

    def rejection(self, order_id: str) -> inv.OrderRejected:
        (outcome,) = [o for o in self.seen if o.order_id == order_id]
        assert isinstance(outcome.event, inv.OrderRejected)
        return outcome.event

    def close(self) -> None:
        self.outcomes.close()
        self.channel.close()


def pid(name: str) -> int:
    return int(supervisor.rpc().getProcessInfo(name)["pid"])


def kill_and_await_restart(name: str) -> None:
    """SIGKILL, as a crash would; returns once supervisord has it running again."""
    before = pid(name)
    control.kill(name)
    eventually(lambda: pid(name) not in (0, before), 60)


def expect_stock(inventory: Inventory, sku: str, on_hand: int, reserved: int) -> None:
    """The SKU settles at these figures (releases may still be on their way)."""

    def settled() -> bool:
        stock = inventory.stock(sku)
        return (stock.on_hand, stock.reserved) == (on_hand, reserved)

    eventually(settled, 60)
    stock = inventory.stock(sku)
    assert stock.available == stock.on_hand - stock.reserved >= 0

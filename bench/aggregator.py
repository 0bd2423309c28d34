"""Aggregator throughput and CPU per order, against the running broker and registry.

    .venv/bin/python -m bench.aggregator --orders 50000

OrderCreated events (V1 and V2, spread over five minutes of event time) are appended to
a fresh copy of the aggregator's topics, then one aggregator runs in this process, with
the real stream loop (Kafka transactions), until every order is counted and published.
The clock and the CPU time run from its assignment to the last window published; the
topics are deleted afterwards. The live aggregator and its consumers never see these orders.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from confluent_kafka.admin import NewTopic
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.metrics.v1.events_pb2 import OrderRateWindow
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem

from aggregator.adapters.events import Topics
from aggregator.bootstrap import policy
from aggregator.entrypoints.stream import AggregatorProcessor, message_types
from aggregator.settings import AggregatorServiceSettings
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.codecs import TopicCodecs
from orderflow_platform.stream.kafka_transaction import transactional_loop
from orderflow_platform.stream.records import OutRecord

PARTITIONS = 6


def append_orders(settings: Settings, topic: str, orders: int) -> None:
    codec = ProtobufCodec(clients.registry_client(settings.registry), OrderCreated)
    producer = clients.producer(settings.kafka, partitioner="murmur2_random")
    start = datetime.now(UTC) - timedelta(minutes=5)
    for i in range(orders):
        created_at = Timestamp()
        created_at.FromDatetime(start + timedelta(seconds=300 * i / orders))
        event = OrderCreated(
            order_id=str(uuid.uuid4()),
            user_id=f"bench-{i % 500}",
            items=[OrderItem(sku="SKU-1", quantity=1, unit_price_cents=250)],
            total_cents=250,
            created_at=created_at,
            currency="" if i % 2 else "EUR",
        )
        producer.produce(topic, codec.encode(topic, event), event.user_id.encode())
        producer.poll(0)
    assert producer.flush(60) == 0


class Counting:
    """The processor's clock, watched: `done` is set once the published windows hold every
    order (the latest value of each window counts)."""

    def __init__(
        self, processor: AggregatorProcessor, codec: ProtobufCodec[OrderRateWindow], target: int
    ) -> None:
        self._processor, self._codec, self._target = processor, codec, target
        self.published: dict[bytes, int] = {}
        self.done = threading.Event()

    def due(self) -> bool:
        return self._processor.due()

    def punctuate(self) -> list[OutRecord]:
        records = self._processor.punctuate()
        rate = self._processor.topics.rate
        for record in records:
            if record.topic == rate and record.key is not None:
                self.published[record.key] = self._codec.decode(rate, record.value or b"").order_count
        if sum(self.published.values()) >= self._target:
            self.done.set()
        return records


def run(settings: AggregatorServiceSettings, orders: int) -> None:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    topics = Topics.prefixed(prefix)
    names = [topics.orders, topics.window_orders, topics.windows, topics.rate]
    admin = clients.admin_client(settings.kafka)
    for future in admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names]).values():
        future.result(30)
    try:
        append_orders(settings, topics.orders, orders)
        registry = clients.registry_client(settings.registry)
        codecs = TopicCodecs(registry, True, message_types(topics))
        processor = AggregatorProcessor(settings.kafka, codecs, policy(settings.aggregator), topics)
        counting = Counting(processor, ProtobufCodec(registry, OrderRateWindow), orders)
        loop = transactional_loop(
            settings.kafka,
            group_id=f"{prefix}aggregator",
            transactional_id=f"{prefix}aggregator",
            topics=processor.inputs,
            processor=processor,
            punctuator=counting,
        )
        shutdown = Shutdown()
        worker = threading.Thread(target=loop.run, args=(shutdown,), daemon=True)
        worker.start()
        assert loop.assigned.wait(60), "not assigned within 60 s"
        wall, cpu = time.perf_counter(), time.process_time()
        assert counting.done.wait(600), f"published {sum(counting.published.values())} of {orders}"
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        shutdown.request()
        worker.join(30)
    finally:
        for future in admin.delete_topics(names).values():
            future.result(30)
    print(f"aggregator: {orders} orders in {wall:.2f} s = {orders / wall:,.0f} orders/s")
    print(f"CPU: {cpu:.2f} s = {1000 * cpu / orders:.3f} ms per order (this process, all threads)")
    print(f"windows: {len(counting.published)}, orders in them: {sum(counting.published.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=50_000)
    run(AggregatorServiceSettings(), parser.parse_args().orders)


if __name__ == "__main__":
    main()

"""find_since against the real broker, on a topic of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from confluent_kafka import Message

from orderflow_platform.kafka import clients
from orderflow_platform.kafka.log_search import find_since
from orderflow_platform.settings import Settings
from tests.integration.helpers import create_topic


def test_a_record_is_found_in_its_keys_partition_from_a_time_on(settings: Settings, unique: str) -> None:
    topic = f"log-search-{unique}"
    create_topic(clients.admin_client(settings.kafka), topic, partitions=6)
    producer = clients.producer(settings.kafka, partitioner="murmur2_random")
    for i in range(30):
        producer.produce(topic, key=f"user-{i % 3}".encode(), value=f"order-{i}".encode())
    assert producer.flush(30) == 0
    produced_by = datetime.now(UTC)

    def search(key: str, value: str, since: datetime) -> bool:
        def matches(message: Message) -> bool:
            return message.value() == value.encode()

        consumer = clients.consumer(
            settings.kafka, f"test-{unique}", **{"enable.partition.eof": True, "fetch.wait.max.ms": 10}
        )
        try:
            return find_since(consumer, topic, key.encode(), since, matches=matches, timeout=10)
        finally:
            consumer.close()

    an_hour_ago = produced_by - timedelta(hours=1)
    assert search("user-1", "order-28", an_hour_ago)
    assert not search("user-2", "order-28", an_hour_ago), "another user's order"
    assert not search("user-1", "order-29", an_hour_ago)
    assert not search("user-1", "order-28", produced_by + timedelta(seconds=5)), "written before since"

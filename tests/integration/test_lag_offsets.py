"""The lag exporter's offsets, read from the real broker: a group's committed positions and
the stable ends they are measured against."""

from __future__ import annotations

import pytest
from confluent_kafka import TopicPartition

from orderflow_ops.lag_exporter import Consumer, LagCollector, Offsets
from orderflow_platform.kafka import clients
from orderflow_platform.settings import Settings
from tests.integration.helpers import create_topic


@pytest.fixture
def offsets(settings: Settings) -> Offsets:
    return Offsets(settings)


@pytest.fixture
def topic(settings: Settings, unique: str) -> str:
    name = f"test.lag.{unique}"
    create_topic(clients.admin_client(settings.kafka), name, partitions=2)
    producer = clients.producer(settings.kafka)
    for i in range(5):
        producer.produce(name, value=b"r", partition=i % 2)
    assert producer.flush(30) == 0
    return name


def commit(settings: Settings, group: str, *positions: TopicPartition) -> None:
    """Commits as a consumer that never joined its group, as a stopped consumer's offsets stay."""
    consumer = clients.consumer(settings.kafka, group_id=group)
    try:
        consumer.commit(offsets=list(positions), asynchronous=False)
    finally:
        consumer.close()


def test_a_groups_committed_offsets_are_read_for_the_partitions_asked_and_none_for_the_others(
    settings: Settings, offsets: Offsets, topic: str, unique: str
) -> None:
    group = f"test-lag-{unique}"
    commit(settings, group, TopicPartition(topic, 0, 2))
    assert offsets.committed(group, [(topic, 0), (topic, 1)]) == {(topic, 0): 2}
    assert offsets.committed(group, [(topic, 1)]) == {}
    assert offsets.committed(f"test-lag-none-{unique}", [(topic, 0)]) == {}


def test_a_kafka_groups_lag_is_the_stable_end_minus_its_committed_offset(
    settings: Settings, offsets: Offsets, topic: str, unique: str
) -> None:
    group = f"test-lag-{unique}"
    commit(settings, group, TopicPartition(topic, 0, 1), TopicPartition(topic, 1, 2))
    collector = LagCollector(offsets, [Consumer(group, "kafka", (topic,))])
    families = {family.name: family for family in collector.collect()}
    lags = {
        sample.labels["partition"]: sample.value
        for sample in families["orderflow_consumer_group_lag"].samples
    }
    # Partition 0 holds three records, partition 1 two.
    assert lags == {"0": 2, "1": 0}
    failures = {s.labels["source"]: s.value for s in families["orderflow_lag_exporter_failures"].samples}
    assert failures == {"kafka": 0, "postgres": 0}

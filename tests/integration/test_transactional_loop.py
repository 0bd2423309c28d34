"""The stream loop committing by Kafka transaction, on its own: a processor that copies each
record to an output topic, so a record processed twice, or one lost, would show there."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from confluent_kafka import Message, TopicPartition

from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import RegistryUnavailable
from orderflow_platform.settings import Settings
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.kafka_transaction import transactional_loop
from orderflow_platform.stream.records import OutRecord
from tests.integration.helpers import consume, create_topic


class Copier:
    def __init__(self, output: str, registry_outages: int) -> None:
        self._output = output
        # How many records fail as if the schema registry were down, before it comes back.
        self._outages = registry_outages
        self.loads = 0

    def load(self, partitions: Sequence[TopicPartition]) -> Callable[[], None]:
        self.loads += 1
        return lambda: None

    def revoked(self, partitions: Sequence[TopicPartition]) -> None:
        """Nothing is kept per partition."""

    def process(self, message: Message) -> list[OutRecord]:
        if self._outages > 0:
            self._outages -= 1
            raise RegistryUnavailable("the registry is down")
        return [OutRecord(self._output, message.value(), message.key())]


def test_a_registry_outage_retries_the_batch_and_writes_each_output_once(
    settings: Settings, unique: str
) -> None:
    source, output = f"test.txn.{unique}", f"test.txn.{unique}.out"
    admin = clients.admin_client(settings.kafka)
    for topic in (source, output, f"{source}.dlq"):
        create_topic(admin, topic)
    producer = clients.producer(settings.kafka)
    for n in range(100):
        producer.produce(source, str(n).encode(), str(n).encode())
    assert producer.flush(30) == 0

    copier = Copier(output, registry_outages=3)
    loop = transactional_loop(
        settings.kafka,
        group_id=f"test-txn-{unique}",
        transactional_id=f"test-txn-{unique}",
        topics=[source],
        processor=copier,
    )
    done = Shutdown()
    runner = threading.Thread(target=loop.run, args=(done,))
    runner.start()
    reader = clients.consumer(settings.kafka, f"test-reader-{unique}")
    try:
        reader.subscribe([output])
        copied = consume(reader, 100, deadline_seconds=90)
        assert sorted(int(m.value() or b"") for m in copied) == list(range(100))
        assert reader.poll(2.0) is None  # and nothing more
    finally:
        reader.close()
        done.request()
        runner.join()
    # Each outage threw the batch's state away and read it again.
    assert copier.loads >= 1 + 3

"""Consumer lag of every consumer of the stack, and the records on each DLQ, for Prometheus.

`python -m orderflow_ops.lag_exporter` serves /metrics on the settings' metrics port. Lag is
computed when Prometheus scrapes, so it is never older than the scrape: a partition's
read_committed end offset (its last stable offset, which is what a read_committed consumer
can reach) minus the consumer's position, read from where that consumer keeps it
(config/consumers.yaml): its group's committed offsets in Kafka, or its
`consumer_checkpoints` rows in Postgres. The in-process `orderflow_consumer_lag` gauge of
the transactional loops comes from librdkafka's statistics and stops with its process;
this one goes on rising while a consumer is stopped, which is what an alert needs.
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psycopg
import yaml
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import IsolationLevel, KafkaException, Message, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from prometheus_client import REGISTRY, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from orderflow_platform.kafka import clients
from orderflow_platform.logs import configure_logging, get_logger
from orderflow_platform.settings import CONFIG_DIR, Settings, load_settings
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.following import Follower, reader
from orderflow_platform.stream.loop import Batching

CONSUMERS_FILE = CONFIG_DIR / "consumers.yaml"
TOPICS_FILE = CONFIG_DIR / "topics.yaml"
REQUEST_TIMEOUT_SECONDS = 4.0
# A record parked by Kafka Connect carries Connect's error headers, and a notice notify_svc
# gave up on carries its sink; every other DLQ record names its consumer in `dlq_consumer`.
CONNECT_ERROR_HEADER = "__connect.errors.topic"
CONNECT_CONSUMER = "connect-audit-sink"
NOTIFY_SINK_HEADER = "dlq_sink"
NOTIFY_CONSUMER = "notify_svc"
# confluent-kafka ships these two without annotations.
LATEST: OffsetSpec = OffsetSpec.latest()  # type: ignore[no-untyped-call]
EARLIEST: OffsetSpec = OffsetSpec.earliest()  # type: ignore[no-untyped-call]

log = get_logger(__name__)
Position = tuple[str, int]


@dataclass(frozen=True)
class Consumer:
    name: str
    offsets: Literal["kafka", "postgres"]
    topics: tuple[str, ...]


def load_consumers(path: Path = CONSUMERS_FILE) -> list[Consumer]:
    raw = yaml.safe_load(path.read_text())["consumers"]
    return [Consumer(name, entry["offsets"], tuple(entry["topics"])) for name, entry in raw.items()]


def lag(
    ends: Mapping[Position, int], starts: Mapping[Position, int], positions: Mapping[Position, int]
) -> dict[Position, int]:
    """Records each partition holds beyond the consumer's position. A partition the consumer
    has no position for is unread from its first record on; a position past the stable end
    (a transaction's marker not yet behind it) is no lag."""
    return {tp: max(end - positions.get(tp, starts.get(tp, 0)), 0) for tp, end in ends.items()}


def dead_letter_topics(path: Path = TOPICS_FILE) -> list[str]:
    return [name for name in yaml.safe_load(path.read_text())["topics"] if name.endswith(".dlq")]


def parked_by(headers: Iterable[tuple[str, bytes | None]]) -> str:
    found = dict(headers)
    if "dlq_consumer" in found:
        return (found["dlq_consumer"] or b"").decode(errors="replace")
    if CONNECT_ERROR_HEADER in found:
        return CONNECT_CONSUMER
    if NOTIFY_SINK_HEADER in found:
        return NOTIFY_CONSUMER
    return "unknown"


class Offsets:
    """Where each partition ends and where each consumer is, asked of Kafka and Postgres."""

    def __init__(self, settings: Settings) -> None:
        self._kafka = settings.kafka
        self._admin: AdminClient = clients.admin_client(settings.kafka)
        self._groups: dict[str, KafkaConsumer] = {}
        self._dsn = settings.postgres.dsn

    def partitions(self, topics: Iterable[str]) -> list[Position]:
        metadata = self._admin.list_topics(timeout=REQUEST_TIMEOUT_SECONDS).topics
        return [
            (topic, p)
            for topic in sorted(set(topics))
            if topic in metadata
            for p in metadata[topic].partitions
        ]

    def ends(self, partitions: list[Position], spec: OffsetSpec) -> dict[Position, int]:
        if not partitions:
            return {}
        futures = self._admin.list_offsets(
            {TopicPartition(t, p): spec for t, p in partitions},
            isolation_level=IsolationLevel.READ_COMMITTED,
            request_timeout=REQUEST_TIMEOUT_SECONDS,
        )
        return {(tp.topic, tp.partition): future.result().offset for tp, future in futures.items()}

    def committed(self, group: str, partitions: list[Position]) -> dict[Position, int]:
        """The group's committed offsets, read through a consumer of that group that never
        joins it. The admin client's OffsetFetch has no group handle, and librdkafka can crash
        on it while the broker's group coordinator is loading (confluent-kafka-python#1982)."""
        if not partitions:
            return {}
        if group not in self._groups:
            self._groups[group] = clients.consumer(self._kafka, group_id=group)
        answer = self._groups[group].committed(
            [TopicPartition(t, p) for t, p in partitions], timeout=REQUEST_TIMEOUT_SECONDS
        )
        return {(tp.topic, tp.partition): tp.offset for tp in answer if tp.error is None and tp.offset >= 0}

    def checkpoints(self, consumers: list[str]) -> dict[str, dict[Position, int]]:
        found: dict[str, dict[Position, int]] = {name: {} for name in consumers}
        with psycopg.connect(self._dsn, connect_timeout=int(REQUEST_TIMEOUT_SECONDS)) as conn:
            rows = conn.execute(
                "SELECT consumer, topic, partition, next_offset FROM consumer_checkpoints"
                " WHERE consumer = ANY(%s)",
                (consumers,),
            )
            for consumer, topic, partition, next_offset in rows:
                if next_offset >= 0:
                    found[consumer][(topic, partition)] = next_offset
        return found


def _lag_families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    """The lag, position and stable-end families, empty."""
    lags = GaugeMetricFamily(
        "orderflow_consumer_group_lag",
        "Records of a partition the consumer has not processed yet (read_committed end - position)",
        labels=["group", "topic", "partition", "offsets"],
    )
    positions = GaugeMetricFamily(
        "orderflow_consumer_group_position",
        "The next offset the consumer will process, as it stored it",
        labels=["group", "topic", "partition", "offsets"],
    )
    stable_ends = GaugeMetricFamily(
        "orderflow_topic_stable_end_offset",
        "A partition's last stable offset: as far as a read_committed consumer can read",
        labels=["topic", "partition"],
    )
    return lags, positions, stable_ends


class LagCollector(Collector):
    def __init__(self, offsets: Offsets, consumers: list[Consumer]) -> None:
        self._offsets, self._consumers = offsets, consumers
        self._failures: Tally[str] = Tally()

    def describe(self) -> Iterator[Metric]:
        """The families `collect` yields, without asking Kafka. Without it, registering the
        collector ran a whole collect at start-up, when the broker may still be loading its
        group coordinator, and the exporter died of SIGSEGV in librdkafka's main thread within
        a second of starting, once in every CI run: an admin client's OffsetFetch can crash
        so while the coordinator is not ready (confluent-kafka-python#1982)."""
        yield from _lag_families()
        yield self._failure_family()

    def collect(self) -> Iterator[Metric]:
        lags, positions, stable_ends = _lag_families()
        try:
            partitions = self._offsets.partitions(t for c in self._consumers for t in c.topics)
            ends = self._offsets.ends(partitions, LATEST)
            starts = self._offsets.ends(partitions, EARLIEST)
            stored = self._positions(partitions)
        except (KafkaException, psycopg.Error) as failure:
            # No series rather than stale ones: the scrape shows the exporter is blind.
            source = "postgres" if isinstance(failure, psycopg.Error) else "kafka"
            self._failures[source] += 1
            log.warning("offsets unavailable", source=source, error=str(failure))
        else:
            for (topic, partition), end in ends.items():
                stable_ends.add_metric([topic, str(partition)], end)
            for consumer in self._consumers:
                own = {tp: end for tp, end in ends.items() if tp[0] in consumer.topics}
                at = stored[consumer.name]
                for (topic, partition), behind in lag(own, starts, at).items():
                    labels = [consumer.name, topic, str(partition), consumer.offsets]
                    lags.add_metric(labels, behind)
                    positions.add_metric(
                        labels, at.get((topic, partition), starts.get((topic, partition), 0))
                    )
        yield from (lags, positions, stable_ends, self._failure_family())

    def _failure_family(self) -> CounterMetricFamily:
        failures = CounterMetricFamily(
            "orderflow_lag_exporter_failures",
            "Scrapes whose offsets could not be read, by where from",
            labels=["source"],
        )
        for source in ("kafka", "postgres"):
            failures.add_metric([source], self._failures[source])
        return failures

    def _positions(self, partitions: list[Position]) -> dict[str, dict[Position, int]]:
        in_postgres = [c.name for c in self._consumers if c.offsets == "postgres"]
        stored = self._offsets.checkpoints(in_postgres) if in_postgres else {}
        for consumer in self._consumers:
            if consumer.offsets == "kafka":
                own = [tp for tp in partitions if tp[0] in consumer.topics]
                stored[consumer.name] = self._offsets.committed(consumer.name, own)
        return stored


class DeadLetterTally(Collector):
    """Counts the records on the stack's DLQ topics by who parked them, read as they arrive
    (read_committed: a record parked in an aborted transaction is not on the DLQ).
    `caught_up` is set once every DLQ has been read to its end: served before that, a count
    would climb from 0 and look like records being parked."""

    def __init__(self, settings: Settings, topics: list[str]) -> None:
        self._counts: Tally[tuple[str, str]] = Tally()
        self._lock = threading.Lock()
        self._follower = Follower(
            reader(settings.kafka, "orderflow-lag-exporter"),
            topics,
            self._count,
            name="dlq-reader",
            batching=Batching(max_records=500, linger_seconds=1.0),
        )
        self.caught_up = self._follower.caught_up

    def follow(self, shutdown: Shutdown) -> None:
        """Reads the DLQs until shutdown is requested or the reader fails."""
        self._follower.start()
        try:
            while self._follower.is_alive() and not shutdown.wait(1.0):
                pass
        finally:
            self._follower.stop()

    def _count(self, message: Message) -> None:
        raw = message.headers() or []
        pairs = raw.items() if isinstance(raw, dict) else raw
        headers = [(k, v if isinstance(v, bytes) else None) for k, v in pairs]
        with self._lock:
            self._counts[(str(message.topic()), parked_by(headers))] += 1

    def collect(self) -> Iterator[Metric]:
        records = GaugeMetricFamily(
            "orderflow_dlq_records",
            "Records on a DLQ topic, by the consumer that parked them (DLQs are kept forever)",
            labels=["topic", "consumer"],
        )
        with self._lock:
            counts = dict(self._counts)
        for (topic, consumer), count in sorted(counts.items()):
            records.add_metric([topic, consumer], count)
        yield records


def main() -> None:
    settings = load_settings()
    configure_logging(settings.logging, "lag_exporter")
    shutdown = Shutdown().install()
    dead_letters = DeadLetterTally(settings, dead_letter_topics())
    REGISTRY.register(LagCollector(Offsets(settings), load_consumers()))
    REGISTRY.register(dead_letters)
    follower = threading.Thread(target=dead_letters.follow, args=(shutdown,), name="dlq-follower")
    follower.start()
    while not (dead_letters.caught_up.wait(1.0) or shutdown.requested) and follower.is_alive():
        pass
    if follower.is_alive():
        start_http_server(settings.metrics.port, addr="127.0.0.1")
        log.info("lag exporter serving", port=settings.metrics.port)
    while not shutdown.wait(1.0) and follower.is_alive():
        pass
    follower.join()
    if not shutdown.requested:
        # Its error is in the log already; supervisord starts the exporter again.
        raise SystemExit("the DLQ reader stopped")


if __name__ == "__main__":
    main()

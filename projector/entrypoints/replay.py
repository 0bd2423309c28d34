"""`orderflow replay`: rebuilds the read models from the beginning of the topics.

Every partition is read from its first record to the end it has when the replay reaches
it, into fresh tables, which are then swapped in with the offsets they were built up to;
the live projector carries on from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import psycopg
from confluent_kafka import Consumer, TopicPartition

from orderflow_platform.stream.postgres_checkpoints import PostgresCheckpointStore, refusals
from orderflow_platform.stream.reading import batches_to_end, bisect
from orderflow_platform.stream.records import PoisonMessage, Position
from projector import handlers
from projector.adapters import postgres_replay
from projector.adapters.events import TOPICS, EventDecoder
from projector.adapters.postgres_read_models import PostgresReadModels
from projector.domain.model import Event

BATCH = 5000
POLL_SECONDS = 0.5
PROGRESS_SECONDS = 1.0


@dataclass
class ReplayReport:
    events: int = 0
    skipped: int = 0
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _write(conn: psycopg.Connection, models: PostgresReadModels, events: list[Event]) -> int:
    """Projects the events; returns how many Postgres refused (the live projector parked those)."""
    refused: list[Event] = []

    def project(batch: Sequence[Event]) -> None:
        with refusals(), conn.transaction():
            # No one reads these tables until the swap, whose synchronous commit makes
            # everything written before it durable too: no need to wait for each batch.
            conn.execute("SET LOCAL synchronous_commit = off")
            handlers.project(batch, models)

    # The projection does not depend on batching, so refused events can be written alone.
    bisect(events, project, lambda event, _: refused.append(event))
    return len(refused)


def replay(
    conn: psycopg.Connection,
    reader: Consumer,
    decoder: EventDecoder,
    consumer_name: str,
    progress: Callable[[ReplayReport], None],
) -> ReplayReport:
    partitions = [
        TopicPartition(topic, partition)
        for topic, meta in reader.list_topics(timeout=10).topics.items()
        if topic in TOPICS
        for partition in meta.partitions
    ]
    report, started, shown = ReplayReport(), time.monotonic(), 0.0
    postgres_replay.prepare(conn)
    models = PostgresReadModels(conn, postgres_replay.REPLAY_SCHEMA)
    ends: dict[Position, int] = {}
    for records in batches_to_end(reader, partitions, ends, BATCH, POLL_SECONDS):
        events: list[Event] = []
        for message in records:
            try:
                events.append(decoder.decode(message))
            except PoisonMessage:
                report.skipped += 1  # the live projector parked it on the DLQ
        refused = _write(conn, models, events)
        report.skipped += refused
        report.events += len(events) - refused
        report.seconds = time.monotonic() - started
        if report.seconds - shown >= PROGRESS_SECONDS:
            shown = report.seconds
            progress(report)
    postgres_replay.swap(PostgresCheckpointStore(lambda: conn, consumer_name), ends)
    report.seconds = time.monotonic() - started
    report.rows = postgres_replay.row_counts(conn)
    return report

"""`orderflow replay`: rebuilds the read models from the beginning of the topics.

Every partition is read from its first record to the end it has when the replay reaches
it; its events are staged, then built into fresh tables at once, which are swapped in with
the offsets they were built up to; the live projector carries on from there.
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
from projector.adapters import postgres_replay
from projector.adapters.events import TOPICS, EventDecoder
from projector.adapters.postgres_replay import StagedEvents
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


def _stage(staged: StagedEvents, events: list[tuple[int, Event]]) -> int:
    """Stages the events; returns how many Postgres refused (the live projector parked those)."""
    refused: list[tuple[int, Event]] = []

    def append(batch: Sequence[tuple[int, Event]]) -> None:
        with refusals():
            staged.append(batch)

    # Staging does not depend on batching, so refused events can be staged alone.
    bisect(events, append, lambda event, _: refused.append(event))
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
    staged = StagedEvents(conn)
    ends: dict[Position, int] = {}
    read = 0
    for records in batches_to_end(reader, partitions, ends, BATCH, POLL_SECONDS):
        events: list[tuple[int, Event]] = []
        for message in records:
            read += 1
            try:
                events.append((read, decoder.decode(message)))
            except PoisonMessage:
                report.skipped += 1  # the live projector parked it on the DLQ
        refused = _stage(staged, events)
        report.skipped += refused
        report.events += len(events) - refused
        report.seconds = time.monotonic() - started
        if report.seconds - shown >= PROGRESS_SECONDS:
            shown = report.seconds
            progress(report)
    staged.build()
    postgres_replay.swap(PostgresCheckpointStore(lambda: conn, consumer_name), ends)
    report.seconds = time.monotonic() - started
    report.rows = postgres_replay.row_counts(conn)
    return report

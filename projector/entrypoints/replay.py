"""`orderflow replay`: rebuilds the read models from the beginning of the topics.

Every partition is read from its first record to the end it has when the replay reaches
it; its events are staged, then built into fresh tables at once, which are swapped in with
the offsets they were built up to; the live projector carries on from there.

Decoding and staging are Python-bound, so they run in worker processes (one per core by
default), each with its own share of the partitions, reader and connection. Each numbers
its events in its own reading order, interleaved with the others' numbers: a partition's
events keep their order, which is all the build's "first" and "latest" rely on (events of
one order, SKU or minute share a partition; across partitions the live projector's order
is arbitrary too).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue

import psycopg
from confluent_kafka import Consumer, TopicPartition

from orderflow_platform.stream.postgres_checkpoints import PostgresCheckpointStore
from orderflow_platform.stream.reading import METADATA_TIMEOUT_SECONDS, batches_to_end
from orderflow_platform.stream.records import PoisonMessage, Position
from projector.adapters import postgres_replay
from projector.adapters.events import TOPICS, EventDecoder
from projector.adapters.postgres_replay import StagedEvents
from projector.domain.model import Event

BATCH = 5000
POLL_SECONDS = 0.5
PROGRESS_SECONDS = 1.0
WORKERS = os.cpu_count() or 1
# How long a staging process that has reported its ends gets to exit on its own.
EXIT_SECONDS = 10.0


@dataclass(frozen=True)
class ReplaySources:
    """How a staging process opens its reader, decoder and connection (picklable: the
    processes are spawned)."""

    open_reader: Callable[[], Consumer]
    open_decoder: Callable[[], EventDecoder]
    dsn: str


@dataclass
class ReplayReport:
    events: int = 0
    skipped: int = 0
    seconds: float = 0.0
    # Staged until every partition is read; then the read models are built from them.
    staged: bool = False
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


class ReplayFailed(Exception):
    """A staging process failed; the live tables are untouched."""


@dataclass(frozen=True)
class _Staged:
    """A staging process's count so far; with `ends` once it has read all its partitions."""

    worker: int
    events: int
    skipped: int
    ends: dict[Position, int] | None = None


def _stage_partitions(
    sources: ReplaySources,
    partitions: list[Position],
    worker: int,
    workers: int,
    results: Queue[_Staged],
) -> None:
    """A staging process: its partitions, from their beginning to their end, into staging.
    Should it fail, its traceback goes to stderr and its exit code tells the replay."""
    reader, decoder = sources.open_reader(), sources.open_decoder()
    try:
        with psycopg.connect(sources.dsn, autocommit=True) as conn:
            staged = StagedEvents(conn)
            ends: dict[Position, int] = {}
            events = skipped = read = 0
            shown = time.monotonic()
            assigned = [TopicPartition(topic, partition) for topic, partition in partitions]
            for records in batches_to_end(reader, assigned, ends, BATCH, POLL_SECONDS):
                numbered: list[tuple[int, Event]] = []
                for message in records:
                    read += 1
                    try:
                        numbered.append((read * workers + worker, decoder.decode(message)))
                    except PoisonMessage:
                        skipped += 1  # the live projector parked it on the DLQ
                refused = staged.append(numbered)
                events, skipped = events + len(numbered) - refused, skipped + refused
                if time.monotonic() - shown >= PROGRESS_SECONDS:
                    shown = time.monotonic()
                    results.put(_Staged(worker, events, skipped))
            results.put(_Staged(worker, events, skipped, ends))
    finally:
        reader.close()


def _shares(reader: Consumer, workers: int) -> list[list[Position]]:
    """The topics' partitions in `workers` shares of about as many records each."""
    topics = reader.list_topics(timeout=METADATA_TIMEOUT_SECONDS).topics
    sizes = []
    for topic in TOPICS:
        for partition in topics[topic].partitions if topic in topics else ():
            low, high = reader.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=METADATA_TIMEOUT_SECONDS
            )
            sizes.append((high - low, (topic, partition)))
    shares: list[list[Position]] = [[] for _ in range(max(1, min(workers, len(sizes))))]
    loads = [0] * len(shares)
    for size, position in sorted(sizes, reverse=True):
        lightest = loads.index(min(loads))
        shares[lightest].append(position)
        loads[lightest] += size
    return shares


def _collect(
    processes: Sequence[BaseProcess],
    results: Queue[_Staged],
    report: ReplayReport,
    progress: Callable[[ReplayReport], None],
    started: float,
) -> dict[Position, int]:
    """Waits for every staging process; their counts go into the report as they come.
    Returns the partitions' ends."""
    latest: dict[int, _Staged] = {}
    ends: dict[Position, int] = {}
    shown = 0.0
    while sum(staged.ends is not None for staged in latest.values()) < len(processes):
        try:
            message = results.get(timeout=POLL_SECONDS)
        except queue.Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise ReplayFailed(f"{dead[0].name} exited with {dead[0].exitcode}") from None
            continue
        latest[message.worker] = message
        ends |= message.ends or {}
        report.events = sum(staged.events for staged in latest.values())
        report.skipped = sum(staged.skipped for staged in latest.values())
        report.seconds = time.monotonic() - started
        if report.seconds - shown >= PROGRESS_SECONDS:
            shown = report.seconds
            progress(report)
    return ends


def replay(
    conn: psycopg.Connection,
    sources: ReplaySources,
    consumer_name: str,
    progress: Callable[[ReplayReport], None],
    workers: int = WORKERS,
) -> ReplayReport:
    report, started = ReplayReport(), time.monotonic()
    reader = sources.open_reader()
    try:
        shares = _shares(reader, workers)
    finally:
        reader.close()
    postgres_replay.prepare(conn)
    postgres_replay.create_staging(conn)
    context = multiprocessing.get_context("spawn")
    results: Queue[_Staged] = context.Queue()
    processes = [
        context.Process(
            target=_stage_partitions,
            args=(sources, share, worker, len(shares), results),
            name=f"replay-staging-{worker}",
            daemon=True,
        )
        for worker, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    try:
        ends = _collect(processes, results, report, progress, started)
        for process in processes:
            process.join(EXIT_SECONDS)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
    report.staged, report.seconds = True, time.monotonic() - started
    progress(report)
    postgres_replay.build(partial(psycopg.connect, sources.dsn), workers=workers)
    postgres_replay.swap(PostgresCheckpointStore(lambda: conn, consumer_name), ends)
    report.seconds = time.monotonic() - started
    report.rows = postgres_replay.row_counts(conn)
    return report

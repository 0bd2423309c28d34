"""Projection and replay throughput against the running stack.

    .venv/bin/python -m bench.projection

replay: `orderflow replay` itself, in-process: every record the projector's four topics
hold, from the beginning, into fresh tables that are then swapped in (they equal the live
ones, so the stack is left as it was).

projection: the live projector's code path (the checkpointed stream loop: decode, fold, batched
upserts, offsets in the same transaction) as a consumer of its own, `bench_<id>`, from the
beginning of the same topics into copies of the tables in schema `bench_<id>`, dropped
afterwards. The clock runs from its first record to as many records as replay read. Like
the projector, it parks undecodable records on the DLQ, so each run parks them once more.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence

import psycopg
from confluent_kafka import Message

from orderflow_platform.settings import Settings, load_settings
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.stream.postgres_checkpoint import checkpointed_loop
from projector import bootstrap
from projector.adapters import postgres_replay
from projector.adapters.events import TOPICS
from projector.domain.model import Event
from projector.entrypoints.consumer import CONSUMER_NAME, Projection
from projector.entrypoints.replay import ReplayReport, replay


class Timed:
    """The projector's BatchHandler, timed from its first record until `target` records."""

    def __init__(self, inner: Projection, target: int, done: Shutdown) -> None:
        self._inner, self._target, self._done = inner, target, done
        self.records, self.started, self.finished = 0, 0.0, 0.0

    def decode(self, message: Message) -> Event:
        self.records += 1
        if self.records == 1:
            self.started = time.monotonic()
        return self._inner.decode(message)

    def write(self, conn: psycopg.Connection, batch: Sequence[Event]) -> None:
        self._inner.write(conn, batch)
        if self.records >= self._target and not self._done.requested:
            self.finished = time.monotonic()
            self._done.request()


def bench_replay(settings: Settings) -> ReplayReport:
    with psycopg.connect(settings.postgres.dsn, autocommit=True) as conn:
        return replay(conn, bootstrap.replay_sources(settings), CONSUMER_NAME, lambda _: None)


def bench_projection(settings: Settings, records: int) -> Timed:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(settings.postgres.dsn, autocommit=True) as conn:
        postgres_replay.prepare(conn, name)
        done = Shutdown()
        handler = Timed(Projection(bootstrap.decoder(settings), name), records, done)
        loop = checkpointed_loop(
            settings.kafka, settings.postgres.dsn, consumer_name=name, topics=TOPICS, handler=handler
        )
        runner = threading.Thread(target=loop.run, args=(done,))
        runner.start()
        # Bounded: a stack with nothing to project would otherwise keep the bench waiting.
        if not done.wait(600):
            done.request()
        runner.join()
        postgres_replay.drop_schema(conn, name)
        conn.execute("DELETE FROM consumer_checkpoints WHERE consumer = %s", (name,))
    return handler


def _throughput(what: str, records: int, seconds: float) -> None:
    print(f"{what}: {records:,} records in {seconds:.2f} s = {records / seconds:,.0f} events/s")


def main() -> None:
    settings = load_settings()
    replayed = bench_replay(settings)
    records = replayed.events + replayed.skipped
    _throughput("replay", records, replayed.seconds)
    projected = bench_projection(settings, records)
    _throughput("projection", projected.records, projected.finished - projected.started)


if __name__ == "__main__":
    main()

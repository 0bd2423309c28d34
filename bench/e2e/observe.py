"""Watching one run's orders through every stage, with the time each reached it.

- accepted: the `OrderCreated` record's timestamp (order_svc's producer, at append);
- outcome: the `inventory.reserved`/`inventory.failed` record's timestamp;
- read model: the first poll of the projector's checkpoints (written in the same Postgres
  transaction as its rows) past the outcome's offset;
- mail: the modification time of the catcher's file for the outcome's Message-ID.

All are wall-clock times of this one machine, in seconds since the epoch.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
import uuid
from dataclasses import dataclass

import psycopg
from confluent_kafka import TopicPartition

from devstack.spec import VAR
from inventory_svc.adapters.events import FAILED, ORDERS, RESERVED
from mail_catcher.mailbox import file_name
from order_svc.adapters.kafka_log import ORDER_ID_HEADER
from orderflow_platform.kafka import clients
from orderflow_platform.settings import Settings
from projector.entrypoints.consumer import CONSUMER_NAME as PROJECTOR

MAILBOX = VAR / "mail"
CHECKPOINT_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Outcome:
    at: float
    topic: str
    partition: int
    offset: int


@dataclass
class Order:
    accepted: float
    outcome: float | None = None
    read_model: float | None = None
    mail: float | None = None


class Checkpoints:
    """The projector's next offset per outcome partition, polled, with the time of each change."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._history: dict[tuple[str, int], tuple[list[int], list[float]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        with psycopg.connect(self._dsn, autocommit=True) as conn:
            while not self._stop.wait(CHECKPOINT_POLL_SECONDS):
                # The snapshot is taken as the query starts: rows committed by then are in it.
                at = time.time()
                rows = conn.execute(
                    "SELECT topic, partition, next_offset FROM consumer_checkpoints"
                    " WHERE consumer = %s AND topic = ANY(%s)",
                    (PROJECTOR, [RESERVED, FAILED]),
                ).fetchall()
                for topic, partition, next_offset in rows:
                    offsets, times = self._history.setdefault((topic, partition), ([], []))
                    if not offsets or next_offset > offsets[-1]:
                        offsets.append(next_offset)
                        times.append(at)

    def projected_at(self, outcome: Outcome) -> float | None:
        offsets, times = self._history.get((outcome.topic, outcome.partition), ([], []))
        first_past = bisect.bisect_right(offsets, outcome.offset)
        return times[first_past] if first_past < len(offsets) else None


class Observer:
    """One run's orders: its `OrderCreated` (users starting with `user_prefix`) and every
    outcome, read from the ends the topics had when it started."""

    def __init__(self, settings: Settings, user_prefix: str) -> None:
        self._prefix = user_prefix.encode()
        # Latencies come from the records' own timestamps, not from when they arrive here, so
        # the observer batches its fetches: fetching on every commit would load the broker
        # it measures with one fetch per order.
        self._consumer = clients.consumer(
            settings.kafka, group_id=f"bench-e2e-{uuid.uuid4().hex}", **clients.BATCHED_FETCH
        )
        self._accepted: dict[str, float] = {}
        self._outcomes: dict[str, Outcome] = {}
        self._mailed: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._consume, daemon=True)
        self.checkpoints = Checkpoints(settings.postgres.dsn)

    def start(self) -> None:
        topics = self._consumer.list_topics(timeout=10).topics
        ends = [TopicPartition(t, p) for t in (ORDERS, RESERVED, FAILED) for p in topics[t].partitions]
        self._consumer.assign(
            [
                TopicPartition(tp.topic, tp.partition, self._consumer.get_watermark_offsets(tp)[1])
                for tp in ends
            ]
        )
        self.checkpoints.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.checkpoints.stop()
        self._consumer.close()

    def _consume(self) -> None:
        while not self._stop.is_set():
            for message in self._consumer.consume(1000, 0.1):
                if message.error():
                    continue
                at = message.timestamp()[1] / 1000
                key = message.key() or b""
                with self._lock:
                    if message.topic() == ORDERS:
                        if key.startswith(self._prefix):
                            headers = dict(clients.header_pairs(message.headers() or []))
                            self._accepted[headers[ORDER_ID_HEADER].decode()] = at
                    else:
                        self._outcomes[key.decode()] = Outcome(
                            at, message.topic() or "", message.partition() or 0, message.offset() or 0
                        )

    def accepted_count(self) -> int:
        with self._lock:
            return len(self._accepted)

    def orders(self) -> dict[str, Order]:
        """The run's orders so far, with the stages each has reached."""
        with self._lock:
            accepted = dict(self._accepted)
            outcomes = {o: self._outcomes[o] for o in accepted if o in self._outcomes}
        orders = {o: Order(at) for o, at in accepted.items()}
        for order_id, outcome in outcomes.items():
            order = orders[order_id]
            order.outcome = outcome.at
            order.read_model = self.checkpoints.projected_at(outcome)
            if order_id not in self._mailed and (mailed := _mailed_at(order_id, outcome.topic == RESERVED)):
                self._mailed[order_id] = mailed
            order.mail = self._mailed.get(order_id)
        return orders


def _mailed_at(order_id: str, confirmed: bool) -> float | None:
    kind = "confirmed" if confirmed else "out_of_stock"
    try:
        return os.stat(MAILBOX / file_name(f"<{kind}.{order_id}@orderflow>")).st_mtime
    except FileNotFoundError:
        return None

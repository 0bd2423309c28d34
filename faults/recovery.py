"""Seconds until each component answers its readiness probe and is doing work again.

Work is a counter that moves: a service's own Prometheus counter, or the orders the load
driver got accepted through it. A restarted process starts its counters at zero, so any
increase between two scrapes after the restore counts, whatever the values were before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from devstack.probes import answers
from devstack.spec import Probe, load
from faults.load import Ledger

POLL_SECONDS = 0.25
Work = Callable[[], float | None]


def metric(port: int, sample: str, **labels: str) -> Work:
    """The sum of one counter's samples on a service's /metrics (None while it does not answer)."""

    def scrape() -> float | None:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1.0).text
        except httpx.HTTPError:
            return None
        return sum(
            s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == sample and labels.items() <= s.labels.items()
        )

    return scrape


def work_signals(ledger: Ledger) -> dict[str, Work]:
    committed = {"result": "committed"}
    return {
        "order_svc": metric(9101, "orderflow_order_events_published_total"),
        "inventory_svc-1": metric(9102, "orderflow_kafka_transactions_total", **committed),
        "inventory_svc-2": metric(9105, "orderflow_kafka_transactions_total", **committed),
        "projector": metric(9104, "orderflow_checkpointed_records_total"),
        "notify_svc": metric(9103, "orderflow_notifications_sent_total", sink="email"),
        "aggregator": metric(9107, "orderflow_kafka_transactions_total", **committed),
        "envoy": lambda: float(ledger.accepted_through(frozenset({"grpc-envoy", "rest"}))),
        "rest_guard": lambda: float(ledger.accepted_through(frozenset({"rest"}))),
    }


def readiness_probes() -> dict[str, Probe]:
    return {p.name: p.ready for p in load().services() if p.ready is not None}


@dataclass(frozen=True)
class Recovered:
    """Seconds from the restore to ready and to working again; None: not within the deadline."""

    ready: float | None
    working: float | None


def watch(ready: Callable[[], bool], work: Work | None, since: float, deadline: float) -> Recovered:
    """Polls one component until it is ready and its work counter has moved, or the deadline."""
    ready_at: float | None = None
    last: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if ready_at is None and ready():
            ready_at = now - since
        if ready_at is not None:
            if work is None:
                return Recovered(ready_at, ready_at)
            value = work()
            if value is not None and last is not None and value > last:
                return Recovered(ready_at, time.monotonic() - since)
            last = value if value is not None else last
        time.sleep(POLL_SECONDS)
    return Recovered(ready_at, None)


class RecoveryWatch:
    """Watches every component but the skipped ones at once from `since`, each in its own thread."""

    def __init__(self, ledger: Ledger, since: float, deadline_seconds: float, skip: frozenset[str]) -> None:
        self._results: dict[str, Recovered] = {}
        signals = work_signals(ledger)
        deadline = since + deadline_seconds
        self._threads = [
            threading.Thread(
                target=self._run, args=(name, probe, signals.get(name), since, deadline), daemon=True
            )
            for name, probe in readiness_probes().items()
            if name not in skip
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, name: str, probe: Probe, work: Work | None, since: float, deadline: float) -> None:
        self._results[name] = watch(lambda: answers(probe), work, since, deadline)

    def wait(self) -> dict[str, Recovered]:
        for thread in self._threads:
            thread.join()
        return dict(self._results)

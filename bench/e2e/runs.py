"""One load run: ghz against CreateOrder, then the wait until every accepted order is
mailed (the drain), with every stack process's CPU and the broker's requests over both."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from bench.create_order import TARGETS, ghz_report
from bench.e2e import broker, cpu
from bench.e2e.observe import Observer, Order
from devstack.probes import wait_until_ready
from devstack.spec import load
from orderflow_platform.settings import Settings

USERS = 1000
DRAIN_POLL_SECONDS = 0.5
# Every process an order passes through; the stack is shared, so one may be restarting.
PIPELINE = ("kafka", "postgres", "order_svc", "inventory_svc-1", "inventory_svc-2", "projector", "notify_svc")
READY_SECONDS = 300.0


def wait_for_pipeline() -> None:
    processes = load().processes
    for name in PIPELINE:
        probe = processes[name].ready
        assert probe is None or wait_until_ready(probe, READY_SECONDS), f"{name} is not ready"


def _random_below(bound: int) -> str:
    """ghz's template for a number in [0, bound), drawn per request."""
    return "{{randomInt 0 " + str(bound) + "}}"


def order_body(user_prefix: str, sku_prefix: str, skus: int) -> dict[str, Any]:
    """CreateOrder as ghz sends it: a random user of the run and one line on one of its SKUs,
    each order with an idempotency key of its own (one Postgres claim per order, as in life)."""
    return {
        "user_id": user_prefix + _random_below(USERS),
        "items": [
            {
                "sku": sku_prefix + _random_below(skus),
                "quantity": 1,
                "unit_price_cents": 100,
            }
        ],
        "total_cents": 100,
        "idempotency_key": "{{.UUID}}",
    }


@dataclass
class Run:
    label: str
    rate: int  # offered orders/s; 0 is as fast as ghz's workers go (saturation)
    ghz: dict[str, Any]
    orders: dict[str, Order]
    started: float
    load_ended: float
    ended: float  # drained, or the drain's deadline passed
    drained: bool
    restarted: list[str]  # stack processes whose pid changed during the run
    cpu_seconds: dict[str, float]
    broker_requests: dict[str, float]  # per request type
    bench_seconds: float
    machine_seconds: float

    @property
    def ok(self) -> int:
        return int(self.ghz.get("statusCodeDistribution", {}).get("OK", 0))

    @property
    def errors(self) -> int:
        return sum(self.ghz.get("errorDistribution", {}).values()) if self.ghz.get("errorDistribution") else 0

    @property
    def create_latencies(self) -> list[float]:
        """Seconds, of the calls that succeeded."""
        return [d["latency"] / 1e9 for d in self.ghz.get("details") or [] if d.get("status") == "OK"]


def run(
    settings: Settings,
    *,
    label: str,
    sku_prefix: str,
    skus: int,
    total: int,
    concurrency: int,
    rate: int,
    target: str,
    drain_seconds: float,
) -> Run:
    wait_for_pipeline()
    user_prefix = f"e2e-{uuid.uuid4().hex[:8]}-"
    observer = Observer(settings, user_prefix)
    observer.start()
    pids_before = cpu.stack_pids()
    before, bench_before = cpu.snapshot(pids_before), cpu.own_seconds()
    requests_before = broker.requests_by_type()
    started = time.time()
    report = ghz_report(TARGETS[target], total, concurrency, rate, order_body(user_prefix, sku_prefix, skus))
    load_ended = time.time()
    ok = int(report.get("statusCodeDistribution", {}).get("OK", 0))
    deadline = time.monotonic() + drain_seconds
    while True:
        orders = observer.orders()
        drained = len(orders) >= ok and all(
            o.mail is not None and o.read_model is not None for o in orders.values()
        )
        if drained or time.monotonic() > deadline:
            break
        time.sleep(DRAIN_POLL_SECONDS)
    pids_after = cpu.stack_pids()
    after, ended = cpu.snapshot(pids_after), time.time()
    requests_after = broker.requests_by_type()
    observer.stop()
    return Run(
        label=label,
        rate=rate,
        ghz=report,
        orders=orders,
        started=started,
        load_ended=load_ended,
        ended=ended,
        drained=drained,
        restarted=sorted(name for name, pid in pids_after.items() if pids_before.get(name, pid) != pid),
        cpu_seconds=after.minus(before),
        broker_requests=broker.requests_between(requests_before, requests_after),
        bench_seconds=cpu.own_seconds() - bench_before,
        machine_seconds=after.machine_busy - before.machine_busy,
    )

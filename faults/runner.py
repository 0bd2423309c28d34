"""The whole suite against the running stack: every selected fault in turn, then the report."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from devstack.probes import wait_until_ready
from faults.catalog import Fault, catalog
from faults.model import RunIds
from faults.recovery import readiness_probes
from faults.report import PhaseResult, details, recovery_matrix, seconds, table, totals
from faults.suite import Suite
from orderflow_platform.settings import load_settings

DEFAULT_RATE = 8.0
READY_SECONDS = 60.0


@dataclass(frozen=True)
class Report:
    results: list[PhaseResult]
    totals: str
    seconds: float

    @property
    def failed(self) -> bool:
        return any(r.violations for r in self.results)

    def text(self) -> str:
        found = details(self.results) or "no violation"
        return (
            f"{table(self.results)}\n\n{found}\n\nseconds until working again:\n"
            f"{recovery_matrix(self.results)}\n\n{self.totals}\n{self.seconds:.0f} s in all"
        )


def run_ids() -> RunIds:
    return RunIds(uuid.uuid4().hex[:8])


def selected(faults: list[Fault], only: list[str] | None) -> list[Fault]:
    return [f for f in faults if not only or any(word in f.name for word in only)]


def not_ready() -> list[str]:
    """The components that do not answer within a minute (each is asked at least once)."""
    deadline = time.monotonic() + READY_SECONDS
    return [
        name
        for name, probe in readiness_probes().items()
        if not wait_until_ready(probe, max(1.0, deadline - time.monotonic()))
    ]


def show(result: PhaseResult) -> None:
    print(
        f"  {result.fault}: {len(result.violations)} violations, "
        f"working again after {seconds(result.recovery_seconds)} s ({result.seconds:.0f} s)",
        flush=True,
    )


def run(
    only: list[str] | None = None,
    orders_per_second: float = DEFAULT_RATE,
    progress: Callable[[PhaseResult], None] = show,
) -> Report:
    began = time.monotonic()
    down = not_ready()
    if len(down) == len(readiness_probes()):
        raise RuntimeError("no component answers (start the stack: make up)")
    settings = load_settings()
    suite = Suite(settings, run_ids(), orders_per_second, frozenset(down))
    faults = selected(catalog(settings, suite.ids, suite.poisoned), only)
    print(f"fault suite {suite.ids.run}: {len(faults)} faults, {orders_per_second:g} orders/s", flush=True)
    results = suite.run(faults, progress)
    return Report(results, totals(suite.ledger.snapshot(), suite.observed), time.monotonic() - began)

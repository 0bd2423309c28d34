"""One phase per fault: steady load, the fault, recovery timed, load stopped, quiescence, the count."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress

from devstack import supervisor
from devstack.spec import load
from faults.catalog import Fault
from faults.load import Ledger, LoadDriver, seed_stock
from faults.model import Observed, Poison, RunIds, Violation
from faults.observe import Observer, Unobservable
from faults.recovery import Recovered, RecoveryWatch
from faults.report import PhaseResult
from faults.topology import consumers_by_topic
from faults.verdict import verdict
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually

STEADY_SECONDS = 4.0
# A liveness bound, not a speed target (the table reports the seconds): generous, so a busy
# two-core machine, where a broker restart alone can take a minute, is not called broken.
RECOVERY_SECONDS = 150.0
QUIESCE_SECONDS = 90.0
# No fault starts after this, so the whole suite stays within 20 minutes however broken the stack is.
BUDGET_SECONDS = 1080.0
SEED_QUANTITY = 30


def hold(seconds: float) -> None:
    """Lets load run (or a fault last) for a set time: a duration, not a wait for a condition."""
    threading.Event().wait(seconds)


def recovery_violations(recovered: dict[str, Recovered]) -> list[Violation]:
    found = [
        Violation("not ready again", name, f"within {RECOVERY_SECONDS:.0f} s")
        for name, r in recovered.items()
        if r.ready is None
    ]
    return found + [
        Violation("not doing work again", name, f"within {RECOVERY_SECONDS:.0f} s")
        for name, r in recovered.items()
        if r.ready is not None and r.working is None
    ]


def dead_components() -> list[Violation]:
    """Components supervisord no longer runs; each is started again so the next fault finds a whole stack."""
    found = []
    for process in load().services():
        state = supervisor.state(process.name)
        if state != "RUNNING":
            found.append(Violation("component not running after the fault", process.name, state))
            if state not in supervisor.ALIVE_STATES:
                supervisor.rpc().startProcess(process.name, False)
    return found


class Suite:
    def __init__(
        self, settings: Settings, ids: RunIds, orders_per_second: float, down: frozenset[str] = frozenset()
    ) -> None:
        """`down`: components not ready before the first fault, reported once and not watched."""
        self.ids, self.ledger = ids, Ledger()
        self._down = down
        # One driver for the whole run, so its keys and sequence never repeat across faults.
        self._driver = LoadDriver(ids, self.ledger, orders_per_second)
        self._observer = Observer(settings, ids)
        self._consumers = consumers_by_topic()
        self._reported: set[tuple[str, str]] = set()
        self._before = [Violation("not ready before the first fault", name) for name in sorted(down)]
        seed_stock(ids, SEED_QUANTITY)

    @property
    def observed(self) -> Observed:
        return self._observer.observed

    @property
    def poisoned(self) -> list[Poison]:
        """Where the poison fault's records landed; the count expects each parked once per consumer."""
        return self._observer.observed.poison

    def run(self, faults: Sequence[Fault], progress: Callable[[PhaseResult], None]) -> list[PhaseResult]:
        results, deadline = [], time.monotonic() + BUDGET_SECONDS
        for fault in faults:
            if time.monotonic() < deadline:
                result = self.phase(fault)
            else:
                result = PhaseResult(
                    fault.name, [Violation("not run", fault.name, "the suite ran out of time")]
                )
            progress(result)
            results.append(result)
        return results

    def phase(self, fault: Fault) -> PhaseResult:
        began = time.monotonic()
        self._driver.start()
        try:
            recovered, found = self._inflict(fault)
            hold(STEADY_SECONDS)
        finally:
            self._driver.stop()
        found += self._before + self.quiesce() + recovery_violations(recovered) + dead_components()
        new = [v for v in found if v.identity not in self._reported]
        self._reported |= {v.identity for v in new}
        return PhaseResult(fault.name, new, recovered, time.monotonic() - began)

    def _inflict(self, fault: Fault) -> tuple[dict[str, Recovered], list[Violation]]:
        """The fault under load, always undone; how long each component took to recover."""
        hold(STEADY_SECONDS)
        failed = []
        try:
            fault.inject()
            hold(fault.hold_seconds)
        except RuntimeError as error:
            failed.append(Violation("fault could not be injected", fault.name, str(error)))
        finally:
            watch = RecoveryWatch(self.ledger, time.monotonic(), RECOVERY_SECONDS, self._down)
            fault.restore()
        return watch.wait(), failed

    def quiesce(self) -> list[Violation]:
        """The count once nothing new is missing any more, or as it stands at the deadline."""
        last: list[Violation] = []

        def settled() -> bool:
            try:
                last[:] = verdict(self.ledger.snapshot(), self._observer.observe(), self._consumers)
            except Unobservable as error:
                last[:] = [Violation("stack not observable", str(error), pending=True)]
            return not any(v.pending and v.identity not in self._reported for v in last)

        with suppress(AssertionError):
            eventually(settled, QUIESCE_SECONDS, every=1.0)
        return last

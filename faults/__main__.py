"""`python -m faults`: the fault suite against the running stack; exit 1 on any violation."""

from __future__ import annotations

import argparse
import sys
import time
import uuid

from devstack.probes import wait_until_ready
from faults.catalog import Fault, catalog
from faults.model import RunIds
from faults.recovery import readiness_probes
from faults.report import PhaseResult, details, seconds, table
from faults.suite import Suite
from orderflow_platform.settings import load_settings

DEFAULT_RATE = 8.0
READY_SECONDS = 60.0


def selected(faults: list[Fault], only: list[str] | None) -> list[Fault]:
    return [f for f in faults if not only or any(word in f.name for word in only)]


def not_ready() -> list[str]:
    """The components that do not answer within a minute."""
    return [name for name, probe in readiness_probes().items() if not wait_until_ready(probe, READY_SECONDS)]


def show(result: PhaseResult) -> None:
    print(
        f"  {result.fault}: {len(result.violations)} violations, "
        f"working again after {seconds(result.recovery_seconds)} s ({result.seconds:.0f} s)",
        flush=True,
    )


def run(only: list[str] | None = None, orders_per_second: float = DEFAULT_RATE) -> list[PhaseResult]:
    """Every selected fault in turn; the results, one per fault."""
    down = not_ready()
    if down:
        raise SystemExit(f"faults: not ready: {', '.join(down)} (start the stack: make up)")
    settings = load_settings()
    suite = Suite(settings, run_ids(), orders_per_second)
    faults = selected(catalog(settings, suite.ids, suite.poisoned), only)
    print(f"fault suite {suite.ids.run}: {len(faults)} faults, {orders_per_second:g} orders/s", flush=True)
    return suite.run(faults, show)


def run_ids() -> RunIds:
    return RunIds(uuid.uuid4().hex[:8])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faults", description=__doc__)
    parser.add_argument(
        "--only", action="append", help="run the faults whose name contains this (repeatable)"
    )
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="orders per second (default %(default)s)"
    )
    parser.add_argument("--list", action="store_true", help="name the faults and exit")
    args = parser.parse_args(argv)
    if args.list:
        for fault in catalog(load_settings(), run_ids(), []):
            print(fault.name)
        return 0
    began = time.monotonic()
    results = run(args.only, args.rate)
    print(f"\n{table(results)}\n\n{details(results)}\n\n{time.monotonic() - began:.0f} s in all", flush=True)
    return 1 if any(r.violations for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

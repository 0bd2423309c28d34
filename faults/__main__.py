"""`python -m faults`: the fault suite against the running stack; exit 1 on any violation."""

from __future__ import annotations

import argparse
import sys

from faults.catalog import catalog
from faults.runner import DEFAULT_RATE, run, run_ids
from orderflow_platform.settings import load_settings


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
    try:
        report = run(args.only, args.rate)
    except RuntimeError as error:
        print(f"faults: {error}", file=sys.stderr)
        return 2
    print(f"\n{report.text()}", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())

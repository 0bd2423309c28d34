"""`python -m bench.e2e --quick` against the running stack: it finishes, writes its report
and plots, and prints the issue's table. A smoke of the benchmark: no figure is judged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.e2e.report import PLOTS
from bench.e2e.table import parse
from devstack.spec import ROOT

FIGURES = [
    "raw Kafka producer",
    "bare grpc.aio server",
    "orders settled/s at saturation",
    "mails delivered/s at saturation",
    "CPU per order",
    "offered 100 orders/s",
    "p99 CreateOrder",
    "p99 accepted -> outcome",
    "p99 accepted -> read model",
    "p99 accepted -> mail delivered",
    "outcomes trail the last order",
    "replay into empty read models",
]


@pytest.mark.timeout(900)
def test_the_quick_bench_writes_its_report_and_prints_the_table(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "bench.e2e", "--quick", "--out", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ["report.md", *PLOTS]:
        assert (folder / name).stat().st_size > 0, name
    printed, written = parse(done.stdout), parse((folder / "report.md").read_text())
    assert printed == written
    assert [next(f for f in FIGURES if row["figure"].startswith(f)) for row in printed] == FIGURES
    assert all(row["measured"] and row["met?"] in {"yes", "no", "-"} for row in printed)
    text = (folder / "report.md").read_text()
    assert "not drained" not in text
    # Every order is produced and fetched: the broker's counts reached the report.
    for request in ("Produce", "Fetch"):
        row = next(line for line in text.splitlines() if line.startswith(f"| {request} |"))
        assert all(float(cell) > 0 for cell in row.strip("| ").split(" | ")[1:]), row

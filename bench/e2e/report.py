"""The report folder: report.md (the issue's table, each run stage by stage, CPU per process,
the broker's requests by type) and the plots beside it."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from pathlib import Path

from bench.e2e import plots
from bench.e2e.runs import Run
from bench.e2e.stats import (
    STAGES,
    broker_requests_per_order,
    cpu_ms_per_order,
    outside_stack_seconds,
    stage_figures,
)
from devstack.spec import ROOT

PLOTS = {
    "latency_cdf.png": plots.latency_cdfs,
    "throughput_lag.png": plots.throughput_and_lag,
    "cpu_per_order.png": plots.cpu_per_process,
}


def _machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    return f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}"


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout

    dirty = (
        " with uncommitted changes in the tree"
        if git("status", "--porcelain", "--untracked-files=no")
        else ""
    )
    return git("rev-parse", "--short", "HEAD").strip() + dirty


def _number(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def _run_section(run: Run) -> list[str]:
    offered = f"{run.rate}/s" if run.rate else "as fast as it goes"
    lines = [
        f"### {run.label}",
        "",
        f"Offered {offered}; {run.ok:,} accepted, {run.errors} errors; "
        f"load {run.load_ended - run.started:.1f} s; "
        + ("every order through every stage." if run.drained else "**not drained before the deadline.**")
        + (f" **Restarted during the run: {', '.join(run.restarted)}.**" if run.restarted else ""),
        "",
        "| stage | orders | per s | p50 ms | p99 ms | max ms | last one after the last accepted |",
        "|---|---|---|---|---|---|---|",
    ]
    for stage in STAGES:
        f = stage_figures(run, stage)
        trail = "-" if f.stage == STAGES[0] else f"{_number(f.trail_seconds, 2)} s"
        lines.append(
            f"| {f.stage} | {f.done:,} | {_number(f.per_second, 0)} | {_number(f.p50_ms)} | "
            f"{_number(f.p99_ms)} | {_number(f.max_ms)} | {trail} |"
        )
    return [*lines, ""]


def _per_order_table(runs: list[Run], what: str, per_run: list[dict[str, float]], total: str) -> list[str]:
    """One row per name, one column per run, largest first in the first run, then the total."""
    names = sorted({name for values in per_run for name in values}, key=lambda n: -per_run[0].get(n, 0.0))
    lines = [f"| {what} | " + " | ".join(run.label for run in runs) + " |", "|---|" + "---|" * len(runs)]
    lines += [
        f"| {name} | " + " | ".join(f"{values.get(name, 0.0):.3f}" for values in per_run) + " |"
        for name in names
    ]
    lines.append(f"| **{total}** | " + " | ".join(f"**{sum(v.values()):.3f}**" for v in per_run) + " |")
    return lines


def _cpu_section(runs: list[Run]) -> list[str]:
    lines = _per_order_table(runs, "process", [cpu_ms_per_order(run) for run in runs], "stack, total")

    def per_order(seconds: float, run: Run) -> str:
        return f"{1000 * seconds / max(len(run.orders), 1):.3f}"

    lines.append(
        "| this bench (ghz, observer; not in the total) | "
        + " | ".join(per_order(run.bench_seconds, run) for run in runs)
        + " |"
    )
    lines.append(
        "| outside the stack and the bench (other load on the machine) | "
        + " | ".join(per_order(outside_stack_seconds(run), run) for run in runs)
        + " |"
    )
    return [*lines, ""]


def _broker_section(runs: list[Run]) -> list[str]:
    per_run = [broker_requests_per_order(run) for run in runs]
    return [*_per_order_table(runs, "request", per_run, "all requests"), ""]


def write(folder: Path, *, command: str, started: str, table: str, runs: list[Run], notes: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, draw in PLOTS.items():
        draw(runs, folder / name)
    busy = sum(run.machine_seconds for run in runs)
    outside = sum(outside_stack_seconds(run) for run in runs)
    wall = sum(run.ended - run.started for run in runs)
    lines = [
        f"# orderflow end-to-end benchmark, {started}",
        "",
        f"- command: `{command}`",
        f"- commit: {_commit()}",
        f"- machine: {_machine()}",
        f"- load: the machine was busy {busy / wall:.2f} cores on average over the runs; "
        f"{outside / wall:.2f} of them outside the stack and this bench (others' work)",
        *[f"- {note}" for note in notes],
        "",
        "## The issue's table",
        "",
        table,
        "",
        "## Runs",
        "",
        "Stage times: accepted is the `OrderCreated` record's timestamp, outcome the "
        "`inventory.reserved`/`failed` record's, read model the first poll (every 20 ms) of the "
        "projector's checkpoint past the outcome, mail the catcher's file time. Per-stage rates "
        "run from the first accepted order to the stage's last.",
        "",
    ]
    for run in runs:
        lines += _run_section(run)
    lines += ["## CPU ms per order, per process (load and drain)", "", *_cpu_section(runs)]
    lines += [
        "## Broker requests per order, by type (load and drain)",
        "",
        "Counted by the broker's JMX exporter; every client's requests, this bench's observer too.",
        "",
        *_broker_section(runs),
    ]
    lines += ["## Plots", "", *[f"![{name}]({name})" for name in PLOTS], ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    return path

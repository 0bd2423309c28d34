"""The report's PNGs, small enough to commit: latency CDFs, throughput and lag over time,
CPU per order per process."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a display

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from bench.e2e.runs import Run
from bench.e2e.stats import DOWNSTREAM, STAGES, cpu_ms_per_order, latencies, timeline

DPI = 72


def latency_cdfs(runs: list[Run], path: Path) -> None:
    figure, axes = plt.subplots(1, len(STAGES), figsize=(14, 3.4), sharey=True)
    for axis, stage in zip(axes, STAGES, strict=True):
        for run in runs:
            ms = sorted(1000 * s for s in latencies(run, stage))
            if ms:
                axis.plot(ms, [(i + 1) / len(ms) for i in range(len(ms))], label=run.label)
        axis.set_xscale("log")
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.set_title(stage, fontsize=10)
        axis.set_xlabel("ms")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("fraction of orders")
    axes[-1].legend(fontsize=8)
    _save(figure, path)


def throughput_and_lag(runs: list[Run], path: Path) -> None:
    figure, axes = plt.subplots(len(runs), 2, figsize=(12, 2.6 * len(runs)), squeeze=False)
    for (rate_axis, lag_axis), run in zip(axes, runs, strict=True):
        starts, counts, in_flight = timeline(run)
        rate_axis.plot(starts, counts["accepted"], label="accepted")
        for stage in DOWNSTREAM:
            rate_axis.plot(starts, counts[stage], label=stage.removeprefix("accepted -> "))
            lag_axis.plot(starts, in_flight[stage], label=stage.removeprefix("accepted -> "))
        load_end = run.load_ended - run.started
        for axis in (rate_axis, lag_axis):
            axis.axvline(load_end, color="grey", linestyle=":", linewidth=1)
            axis.grid(True, alpha=0.3)
        rate_axis.set_title(f"{run.label}: orders/s per stage", fontsize=10)
        lag_axis.set_title(f"{run.label}: orders accepted, not yet through", fontsize=10)
    for axis in axes[-1]:
        axis.set_xlabel("s since the load started (dotted: load stopped)")
    axes[0][0].legend(fontsize=8)
    axes[0][1].legend(fontsize=8)
    _save(figure, path)


def cpu_per_process(runs: list[Run], path: Path) -> None:
    names = sorted({name for run in runs for name in run.cpu_seconds})
    figure, axis = plt.subplots(figsize=(10, 0.4 * len(names) + 1.2))
    height = 0.8 / len(runs)
    for i, run in enumerate(runs):
        ms = cpu_ms_per_order(run)
        axis.barh(
            [n + i * height for n in range(len(names))],
            [ms.get(name, 0.0) for name in names],
            height=height,
            label=run.label,
        )
    axis.set_yticks([n + 0.4 - height / 2 for n in range(len(names))], names, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel("CPU ms per order")
    axis.grid(True, axis="x", alpha=0.3)
    axis.legend(fontsize=8)
    _save(figure, path)


def _save(figure: Figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)

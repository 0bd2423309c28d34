"""A run's figures per stage: throughput, latency percentiles, the drain, CPU per order."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.e2e.runs import Run

CREATE, OUTCOME, READ_MODEL, MAIL = (
    "CreateOrder",
    "accepted -> outcome",
    "accepted -> read model",
    "accepted -> mail",
)
STAGES = (CREATE, OUTCOME, READ_MODEL, MAIL)
DOWNSTREAM = {OUTCOME: "outcome", READ_MODEL: "read_model", MAIL: "mail"}
# The settled-orders target: at least this many per second, and this share of the
# bare gRPC server's rate.
SETTLED_FLOOR = 1000
SETTLED_SHARE_OF_BARE = 0.25


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def completions(run: Run, stage: str) -> list[float]:
    """When each order reached the stage (wall clock), for the orders that did."""
    times = (getattr(order, DOWNSTREAM[stage]) for order in run.orders.values())
    return sorted(t for t in times if t is not None)


def latencies(run: Run, stage: str) -> list[float]:
    """Seconds from acceptance to the stage (CreateOrder: the call as ghz saw it)."""
    if stage == CREATE:
        return run.create_latencies
    field = DOWNSTREAM[stage]
    return [t - order.accepted for order in run.orders.values() if (t := getattr(order, field)) is not None]


@dataclass(frozen=True)
class StageFigures:
    stage: str
    done: int
    per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    trail_seconds: float  # after the last accepted order, until the stage's last


def stage_figures(run: Run, stage: str) -> StageFigures:
    seconds = latencies(run, stage)
    accepted = sorted(order.accepted for order in run.orders.values())
    if stage == CREATE:
        done, per_second, trail = run.ok, float(run.ghz.get("rps", 0.0)), 0.0
    else:
        times = completions(run, stage)
        done = len(times)
        span = times[-1] - accepted[0] if times else 0.0
        per_second = done / span if span > 0 else math.nan
        trail = times[-1] - accepted[-1] if times else math.nan
    return StageFigures(
        stage,
        done,
        per_second,
        1000 * percentile(seconds, 0.50),
        1000 * percentile(seconds, 0.99),
        1000 * max(seconds, default=math.nan),
        trail,
    )


def cpu_ms_per_order(run: Run) -> dict[str, float]:
    orders = max(len(run.orders), 1)
    return {name: 1000 * seconds / orders for name, seconds in sorted(run.cpu_seconds.items())}


def broker_requests_per_order(run: Run) -> dict[str, float]:
    orders = max(len(run.orders), 1)
    return {name: count / orders for name, count in run.broker_requests.items()}


def ceiling_per_second(run: Run, cores: int) -> float:
    """Orders/s the machine's cores could carry at the run's CPU per order, the stack's and
    this bench's together: no batching or queueing goes far past it without spending less
    CPU per order. Only far: a stage measured to the outcome may run a little above it while
    mail, which the CPU counts until its drain, falls behind."""
    ms_per_order = sum(cpu_ms_per_order(run).values()) + _bench_ms_per_order(run)
    return 1000 * cores / ms_per_order if ms_per_order > 0 else math.inf


def ceiling_note(run: Run, cores: int, bare_grpc_per_second: float) -> str:
    """What the CPU ceiling allows, and the CPU per order the settled-orders target would need."""
    wanted = max(SETTLED_FLOOR, SETTLED_SHARE_OF_BARE * bare_grpc_per_second)
    return (
        f"CPU ceiling: at {sum(cpu_ms_per_order(run).values()):.2f} ms (stack) + "
        f"{_bench_ms_per_order(run):.2f} ms (this bench) per order ({run.label}), {cores} cores "
        f"carry about {ceiling_per_second(run, cores):,.0f} orders/s; settling {wanted:,.0f}/s "
        f"(>= {SETTLED_FLOOR:,}/s and {SETTLED_SHARE_OF_BARE} x bare gRPC) needs about "
        f"{1000 * cores / wanted:.2f} ms per order, stack and bench together"
    )


def _bench_ms_per_order(run: Run) -> float:
    return 1000 * run.bench_seconds / max(len(run.orders), 1)


def outside_stack_seconds(run: Run) -> float:
    """Busy CPU of the machine that neither the stack nor this bench used: the other load."""
    return max(run.machine_seconds - sum(run.cpu_seconds.values()) - run.bench_seconds, 0.0)


def timeline(run: Run, bucket: float = 1.0) -> tuple[list[float], dict[str, list[int]], dict[str, list[int]]]:
    """Seconds since the run started; per stage ("accepted" too) completions per bucket and
    orders accepted but not yet through the stage at each bucket's end."""
    series = {"accepted": sorted(o.accepted for o in run.orders.values())}
    series |= {stage: completions(run, stage) for stage in DOWNSTREAM}
    end = max((times[-1] for times in series.values() if times), default=run.started) - run.started
    buckets = max(math.ceil(end / bucket), 1)
    starts = [i * bucket for i in range(buckets)]
    counts = {name: [0] * buckets for name in series}
    for name, times in series.items():
        for t in times:
            counts[name][min(max(int((t - run.started) / bucket), 0), buckets - 1)] += 1
    in_flight: dict[str, list[int]] = {}
    cumulative = {name: _cumulative(values) for name, values in counts.items()}
    for stage in DOWNSTREAM:
        in_flight[stage] = [a - d for a, d in zip(cumulative["accepted"], cumulative[stage], strict=True)]
    return starts, counts, in_flight


def _cumulative(values: list[int]) -> list[int]:
    total, out = 0, []
    for value in values:
        total += value
        out.append(total)
    return out

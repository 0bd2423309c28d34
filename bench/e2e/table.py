"""The issue's table: each figure as measured, its target, and whether it is met."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.e2e.runs import Run
from bench.e2e.stats import (
    CREATE,
    MAIL,
    OUTCOME,
    READ_MODEL,
    SETTLED_FLOOR,
    SETTLED_SHARE_OF_BARE,
    cpu_ms_per_order,
    stage_figures,
)

HEADER = ("figure", "measured", "target", "met?")
# Mail keeps up when it delivers at least this share of the settled rate.
KEEPS_UP = 0.9


@dataclass(frozen=True)
class Limits:
    producer_per_second: float
    bare_grpc_per_second: float


def _met(condition: bool) -> str:
    return "yes" if condition else "no"


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else (f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms")


def rows(
    limits: Limits, saturation: Run, fixed: Run | None, replay_per_second: float | None
) -> list[tuple[str, str, str, str]]:
    settled = stage_figures(saturation, OUTCOME)
    mails = stage_figures(saturation, MAIL)
    ratio = settled.per_second / limits.bare_grpc_per_second if limits.bare_grpc_per_second else math.nan
    cpu = sum(cpu_ms_per_order(saturation).values())
    table = [
        (
            "raw Kafka producer, 150 B records, acks=all, idempotent (the broker's limit)",
            f"{limits.producer_per_second:,.0f} msg/s",
            "(reference)",
            "-",
        ),
        (
            "bare grpc.aio server answering CreateOrder at once, ghz 50 concurrent (the front door's limit)",
            f"{limits.bare_grpc_per_second:,.0f}/s",
            "(reference)",
            "-",
        ),
        (
            f"orders settled/s at saturation (ghz, 50 concurrent, {saturation.ok:,} orders)",
            f"{settled.per_second:,.0f}/s = {ratio:.2f} x bare gRPC",
            f">= {SETTLED_FLOOR:,}/s and >= {SETTLED_SHARE_OF_BARE} x bare gRPC",
            _met(settled.per_second >= SETTLED_FLOOR and ratio >= SETTLED_SHARE_OF_BARE),
        ),
        (
            "mails delivered/s at saturation",
            f"{mails.per_second:,.0f}/s",
            "keeps up with settled/s",
            _met(mails.per_second >= KEEPS_UP * settled.per_second),
        ),
        (
            "CPU per order, summed over every process of the stack",
            f"{cpu:.2f} ms",
            "<= 2 ms",
            _met(cpu <= 2),
        ),
    ]
    if fixed is not None:
        table += _fixed_rate_rows(fixed)
    table.append(
        (
            "outcomes trail the last order after a burst",
            f"{settled.trail_seconds:.1f} s",
            "<= 5 s (keep)",
            _met(settled.trail_seconds <= 5),
        )
    )
    table.append(
        (
            "replay into empty read models",
            "not run" if replay_per_second is None else f"{replay_per_second:,.0f} events/s",
            ">= 50,000 events/s",
            "-" if replay_per_second is None else _met(replay_per_second >= 50_000),
        )
    )
    return table


def _fixed_rate_rows(run: Run) -> list[tuple[str, str, str, str]]:
    seconds = run.ok / run.rate if run.rate else 0.0
    create, outcome, read_model, mail = (stage_figures(run, s) for s in (CREATE, OUTCOME, READ_MODEL, MAIL))
    at = f"at {run.rate}/s"
    return [
        (
            f"offered {run.rate} orders/s for {seconds:.0f} s: achieved",
            f"{create.per_second:,.0f}/s, {run.errors} errors",
            f"{run.rate}/s, no errors",
            # ghz's rate counts its last, slower, requests too: 97% of the offer is all of it.
            _met(create.per_second >= 0.97 * run.rate and run.errors == 0),
        ),
        (f"p99 CreateOrder {at}", _ms(create.p99_ms), "< 25 ms", _met(create.p99_ms < 25)),
        (
            f"p99 accepted -> outcome on `inventory.reserved`/`failed` {at}",
            _ms(outcome.p99_ms),
            "< 150 ms",
            _met(outcome.p99_ms < 150),
        ),
        (f"p99 accepted -> read model {at}", _ms(read_model.p99_ms), "(no target)", "-"),
        (f"p99 accepted -> mail delivered {at}", _ms(mail.p99_ms), "< 2 s", _met(mail.p99_ms < 2000)),
    ]


def markdown(table: list[tuple[str, str, str, str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in table]
    return "\n".join(lines)


def parse(text: str) -> list[dict[str, str]]:
    """The rows of the first table in `text` whose header is HEADER, as dicts."""
    lines = text.splitlines()
    header = "| " + " | ".join(HEADER) + " |"
    start = lines.index(header) + 2
    parsed = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        parsed.append(dict(zip(HEADER, cells, strict=True)))
    return parsed

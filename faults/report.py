"""The suite's table: fault -> violations -> recovery seconds, and what each violation was."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from faults.model import Observed, Sent, Violation
from faults.recovery import Recovered

EXAMPLES = 3


@dataclass(frozen=True)
class PhaseResult:
    fault: str
    violations: list[Violation]
    recovered: dict[str, Recovered] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def recovery_seconds(self) -> float | None:
        """Until the slowest component worked again; None if one never did."""
        times = [r.working for r in self.recovered.values()]
        if not times or None in times:
            return None
        return max(t for t in times if t is not None)

    @property
    def slowest(self) -> str:
        done = {name: r.working for name, r in self.recovered.items()}
        never = [name for name, t in done.items() if t is None]
        if never:
            return "never working again: " + ", ".join(sorted(never))
        ranked = sorted(((t, name) for name, t in done.items() if t is not None), reverse=True)
        return ", ".join(f"{name} {t:.1f}" for t, name in ranked[:3])


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: Sequence[PhaseResult]) -> str:
    width = max([len("fault"), *(len(r.fault) for r in results)])
    header = f"{'fault':<{width}}  {'violations':>10}  {'recovery s':>10}  {'phase s':>7}"
    lines = [
        f"{header}  slowest to work again (s)",
        "-" * (width + 70),
    ]
    lines += [
        f"{r.fault:<{width}}  {len(r.violations):>10}  {seconds(r.recovery_seconds):>10}  "
        f"{r.seconds:>7.0f}  {r.slowest}"
        for r in results
    ]
    return "\n".join(lines)


def recovery_matrix(results: Sequence[PhaseResult]) -> str:
    """Seconds until each component worked again, per fault ("-": not within the deadline)."""
    names = list(dict.fromkeys(name for r in results for name in r.recovered))
    width = max([len("fault"), *(len(r.fault) for r in results)])
    header = f"{'fault':<{width}}" + "".join(f"  {name[:10]:>10}" for name in names)
    rows = [
        f"{r.fault:<{width}}"
        + "".join(f"  {seconds(r.recovered[n].working) if n in r.recovered else '':>10}" for n in names)
        for r in results
    ]
    return "\n".join([header, *rows])


def details(results: Sequence[PhaseResult]) -> str:
    """Each phase's violations grouped by check, with a few of their subjects."""
    lines: list[str] = []
    for result in results:
        grouped: dict[str, list[Violation]] = defaultdict(list)
        for violation in result.violations:
            grouped[violation.check].append(violation)
        for check, found in grouped.items():
            examples = "; ".join(f"{v.subject} {v.detail}".strip() for v in found[:EXAMPLES])
            more = f" (+{len(found) - EXAMPLES} more)" if len(found) > EXAMPLES else ""
            lines.append(f"{result.fault}: {len(found)} x {check}: {examples}{more}")
    return "\n".join(lines)


def totals(sent: Sent, observed: Observed) -> str:
    """How much the run's counts rest on."""
    confirmed = sum(o.confirmed for o in observed.outcomes)
    keyed = sum(a.key is not None for a in sent.accepted)
    mails = sum(len(kinds) for kinds in observed.mails.values())
    changes = sum(len(c) for c in observed.stock_changes.values())
    return (
        f"{len(sent.accepted)} orders accepted ({keyed} keyed), {sent.unanswered} requests unanswered, "
        f"{len(observed.created)} OrderCreated, "
        f"{confirmed} confirmed, {len(observed.outcomes) - confirmed} rejected, {mails} mails "
        f"({len(observed.resent)} received twice, one copy kept by Message-ID), "
        f"{changes} stock changes on {len(observed.stock_changes)} SKUs, "
        f"{len(observed.poison)} poison records, {len(observed.parked)} parked"
    )

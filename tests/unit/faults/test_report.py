"""The table names each fault with its violation count and the slowest component's recovery."""

from __future__ import annotations

from faults.model import Violation
from faults.recovery import Recovered
from faults.report import PhaseResult, details, recovery_matrix, table

RECOVERED = {"order_svc": Recovered(0.1, 4.25), "projector": Recovered(0.1, 1.0)}


def test_recovery_is_the_slowest_component_to_work_again() -> None:
    result = PhaseResult("kill -9 order_svc", [], RECOVERED, 30.0)
    assert result.recovery_seconds == 4.25
    assert result.slowest == "order_svc 4.2, projector 1.0"


def test_a_component_that_never_works_again_has_no_recovery_time() -> None:
    result = PhaseResult("x", [], {**RECOVERED, "notify_svc": Recovered(2.0, None)})
    assert result.recovery_seconds is None
    assert result.slowest == "never working again: notify_svc"


def test_one_row_per_fault() -> None:
    rows = table([PhaseResult("baseline", [], RECOVERED, 20.0), PhaseResult("kill", [Violation("a", "b")])])
    lines = rows.splitlines()
    assert len(lines) == 4
    assert lines[2].split()[:3] == ["baseline", "0", "4.2"]
    assert lines[3].split()[:3] == ["kill", "1", "-"]


def test_details_group_violations_by_check_with_a_few_examples() -> None:
    found = [Violation("no mail", f"o{n}", "confirmed") for n in range(5)]
    assert details([PhaseResult("kill", found)]) == (
        "kill: 5 x no mail: o0 confirmed; o1 confirmed; o2 confirmed (+2 more)"
    )


def test_recovery_per_component_and_fault() -> None:
    matrix = recovery_matrix(
        [PhaseResult("kill", [], RECOVERED), PhaseResult("stop", [], {"projector": Recovered(1, None)})]
    )
    assert matrix.splitlines() == [
        "fault   order_svc   projector",
        "kill          4.2         1.0",
        "stop                        -",
    ]

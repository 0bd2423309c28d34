"""Every fault of the suite injected under load: no invariant of DESIGN.md §4 may break."""

from __future__ import annotations

import pytest

from faults.runner import run

# The suite takes about ten minutes on two cores; this bounds it well inside CI's 90.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]


def test_no_fault_breaks_an_invariant() -> None:
    report = run()
    print(report.text())
    assert not report.failed, report.text()

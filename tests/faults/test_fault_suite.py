"""Every fault of the suite injected under load: no invariant of DESIGN.md §4 may break."""

from __future__ import annotations

import time

import pytest

from devstack.spec import VAR
from faults.runner import run

# The suite takes about ten minutes on two cores; this bounds it well inside CI's 90.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]


def test_no_fault_breaks_an_invariant() -> None:
    report = run()
    text = report.text()
    # Kept whether the test passes or fails: the recovery table is the run's record.
    reports = VAR / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / f"faults-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.txt").write_text(text)
    assert not report.failed, text

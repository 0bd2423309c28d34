"""The third replica the fault suite starts must not take a port the stack already uses."""

from __future__ import annotations

import re

from devstack.spec import ROOT
from faults.replica import ADDRESS, METRICS_PORT


def test_the_extra_replica_uses_ports_no_stack_process_uses() -> None:
    stack = (ROOT / "stack" / "stack.yaml").read_text()
    used = set(re.findall(r"(?<![\d.])(\d{4,5})(?![\d.])", stack))
    assert METRICS_PORT not in used
    assert ADDRESS.rsplit(":", 1)[1] not in used

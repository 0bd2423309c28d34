"""orderflow's Kafka Connect converter (connect/) is Java: its JUnit tests run here, through
Maven, so `make test` runs them on every change, not only when the bootstrap rebuilds it."""

from __future__ import annotations

import subprocess

from devstack.spec import ROOT


def test_the_converters_junit_tests_pass() -> None:
    # Offline: the bootstrap (which `make test` runs first) has resolved every plugin and jar.
    result = subprocess.run(
        ["mvn", "-B", "-q", "-o", "-f", str(ROOT / "connect" / "pom.xml"), "test"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

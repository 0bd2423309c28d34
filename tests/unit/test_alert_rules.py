"""The monitoring configs as their own tools check them: every alert rule against its
promtool unit test, Prometheus's config, and Alertmanager's (tools/bootstrap.sh installs both)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

PROMETHEUS = Path(__file__).resolve().parents[2] / "stack" / "prometheus"
ALERTMANAGER_CONFIG = Path(__file__).resolve().parents[2] / "stack" / "alertmanager" / "alertmanager.yml"


def run(*argv: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run([str(a) for a in argv], capture_output=True, text=True, cwd=cwd, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("tests", sorted((PROMETHEUS / "rules").glob("*.test.yml")), ids=lambda p: p.name)
def test_alert_rules_pass_their_promtool_unit_tests(tests: Path) -> None:
    assert "SUCCESS" in run("promtool", "test", "rules", tests.name, cwd=tests.parent)


def test_every_rule_file_has_its_unit_test() -> None:
    rules = {p.name.removesuffix(".rules.yml") for p in (PROMETHEUS / "rules").glob("*.rules.yml")}
    tested = {p.name.removesuffix(".test.yml") for p in (PROMETHEUS / "rules").glob("*.test.yml")}
    assert rules and rules == tested


def test_prometheus_config_and_its_rules_are_valid() -> None:
    run("promtool", "check", "config", PROMETHEUS / "prometheus.yml")


def test_alertmanager_config_is_valid() -> None:
    run("amtool", "check-config", ALERTMANAGER_CONFIG)

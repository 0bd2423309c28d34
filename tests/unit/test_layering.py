"""The import rules of the layout, read from the source: the platform is a leaf, operator
tooling sits above the services, and each service's bootstrap is its only composition root."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("order_svc", "inventory_svc", "notify_svc", "projector", "aggregator")
FIRST_PARTY = tuple(
    sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in {"tests", "migrations"})
)
GENERATED = tuple(sorted(p.name for p in (ROOT / "gen").iterdir() if p.is_dir()))


def imported(path: Path) -> Iterator[str]:
    """Every module the file imports, absolute, at any depth of the file (functions too)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def offending(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in imported(path)
        if name.split(".")[0] in forbidden or name in forbidden
    ]


def test_the_rules_read_the_packages_they_name() -> None:
    assert {"orderflow_platform", "orderflow_ops", *SERVICES} <= set(FIRST_PARTY)
    assert "orderflow" in GENERATED


def test_the_platform_imports_no_service_no_tooling_and_no_generated_code() -> None:
    others = tuple(name for name in FIRST_PARTY if name != "orderflow_platform")
    assert offending("orderflow_platform", others + GENERATED) == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_operator_tooling(service: str) -> None:
    assert offending(service, ("orderflow_ops",)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_entrypoints_never_import_a_bootstrap(service: str) -> None:
    bootstraps = tuple(f"{name}.bootstrap" for name in SERVICES)
    assert offending(f"{service}/entrypoints", bootstraps) == []

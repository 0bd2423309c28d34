"""The native stack, started once per test session for the tests that need it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import control, supervisor
from orderflow_platform.settings import Settings, load_settings

FAULT_SUITE = Path(__file__).parent / "faults"


@pytest.fixture(scope="session")
def stack() -> Iterator[None]:
    """Brings the stack up unless it already is; stops it afterwards only if it started it."""
    was_running = supervisor.running()
    control.up()
    yield
    if not was_running:
        control.down()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def unique() -> str:
    """A fresh suffix, so each test has its own topics, subjects and ids."""
    return uuid.uuid4().hex[:12]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"integration", "e2e"} & set(item.path.parts) or item.path.is_relative_to(FAULT_SUITE):
            item.add_marker(pytest.mark.integration)
    # The fault suite kills and stops the stack's parts: it goes last, after every test
    # that needs them whole.
    items.sort(key=lambda item: item.path.is_relative_to(FAULT_SUITE))


@pytest.fixture(autouse=True)
def _stack_for_integration(request: pytest.FixtureRequest) -> None:
    """Integration and end-to-end tests talk to the real stack, started once per session."""
    if request.node.get_closest_marker("integration"):
        request.getfixturevalue("stack")

import pytest


@pytest.fixture(autouse=True)
def _stack_is_up(stack: None) -> None:
    """Every integration test talks to the real stack; it is started once per session."""

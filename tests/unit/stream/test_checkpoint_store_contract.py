"""The checkpoint store's contract, against the fake the runtime's unit tests use."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orderflow_platform.stream.checkpoints import CheckpointStore
from tests.contracts.checkpoint_store import SCENARIOS, Backend
from tests.unit.stream.fakes import FakeDatabase, FakeRows


class FakeBackend:
    def __init__(self) -> None:
        self._database = FakeDatabase()

    def store(self, consumer: str) -> CheckpointStore[FakeRows]:
        return self._database.store(consumer)

    def refuse(self, connection: FakeRows) -> None:
        connection.insert([-1])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_the_fake_store(scenario: Callable[[Backend, str], None]) -> None:
    scenario(FakeBackend(), "consumer")

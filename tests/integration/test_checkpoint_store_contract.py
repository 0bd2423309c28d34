"""The checkpoint store's contract, against Postgres (`consumer_checkpoints`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest

from orderflow_platform.settings import Settings
from orderflow_platform.stream.postgres_checkpoints import Connection, PostgresCheckpointStore
from tests.contracts.checkpoint_store import SCENARIOS, Backend


class PostgresBackend:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._stores: list[PostgresCheckpointStore] = []

    def store(self, consumer: str) -> PostgresCheckpointStore:
        store = PostgresCheckpointStore.at(self._dsn, consumer)
        self._stores.append(store)
        return store

    def refuse(self, connection: Connection) -> None:
        connection.execute("SELECT 1 / 0")

    def close(self) -> None:
        for store in self._stores:
            store.close()


@pytest.fixture
def consumer(settings: Settings, unique: str) -> Iterator[str]:
    name = f"contract_{unique}"
    yield name
    with psycopg.connect(settings.postgres.dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM consumer_checkpoints WHERE consumer LIKE %s", (f"{name}%",))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_the_postgres_store(
    scenario: Callable[[Backend, str], None], settings: Settings, consumer: str
) -> None:
    backend = PostgresBackend(settings.postgres.dsn)
    try:
        scenario(backend, consumer)
    finally:
        backend.close()

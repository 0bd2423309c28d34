"""What every CheckpointStore does, whatever holds the offsets: the scenarios run against
the fake (tests/unit) and against Postgres (tests/integration)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import pytest

from orderflow_platform.stream.checkpoints import FROM_BEGINNING, CheckpointStore, Refused


class Backend(Protocol):
    def store(self, consumer: str) -> CheckpointStore[Any]:
        """A store of the consumer's checkpoints, on a database of its own or shared."""

    def refuse(self, connection: Any) -> None:
        """Writes through the transaction's connection something the store refuses."""


def offsets(store: CheckpointStore[Any]) -> dict[tuple[str, int], int]:
    with store.transaction() as tx:
        return tx.checkpoints.lock()


def claiming_gives_new_partitions_from_beginning_and_keeps_stored_ones(
    backend: Backend, consumer: str
) -> None:
    store = backend.store(consumer)
    with store.transaction() as tx:
        tx.checkpoints.store({("t", 0): 7})
    with store.transaction() as tx:
        tx.checkpoints.claim([("t", 0), ("t", 1)])
    assert offsets(store) == {("t", 0): 7, ("t", 1): FROM_BEGINNING}


def storing_sets_only_the_partitions_given(backend: Backend, consumer: str) -> None:
    store = backend.store(consumer)
    with store.transaction() as tx:
        tx.checkpoints.store({("t", 0): 3, ("t", 1): 4})
    with store.transaction() as tx:
        tx.checkpoints.store({("t", 1): 9})
    assert offsets(store) == {("t", 0): 3, ("t", 1): 9}


def a_transaction_that_raises_stores_nothing(backend: Backend, consumer: str) -> None:
    store = backend.store(consumer)
    with store.transaction() as tx:
        tx.checkpoints.store({("t", 0): 3})
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.checkpoints.store({("t", 0): 5})
        raise RuntimeError("the handler failed")
    assert offsets(store) == {("t", 0): 3}


def a_refused_write_is_refused_and_its_offsets_are_not_stored(backend: Backend, consumer: str) -> None:
    store = backend.store(consumer)
    with pytest.raises(Refused), store.transaction() as tx:
        tx.checkpoints.store({("t", 0): 5})
        backend.refuse(tx.connection)
    assert offsets(store) == {}
    with store.transaction() as tx:
        tx.checkpoints.store({("t", 0): 6})
    assert offsets(store) == {("t", 0): 6}


def replacing_leaves_only_the_new_offsets(backend: Backend, consumer: str) -> None:
    store = backend.store(consumer)
    with store.transaction() as tx:
        tx.checkpoints.store({("t", 0): 3, ("t", 1): 4})
    with store.transaction() as tx:
        tx.checkpoints.lock()
        tx.checkpoints.replace({("t", 1): 10, ("u", 0): 2})
    assert offsets(store) == {("t", 1): 10, ("u", 0): 2}


def each_consumer_has_its_own_offsets(backend: Backend, consumer: str) -> None:
    mine, theirs = backend.store(consumer), backend.store(f"{consumer}-other")
    with mine.transaction() as tx:
        tx.checkpoints.store({("t", 0): 3})
    with theirs.transaction() as tx:
        tx.checkpoints.replace({("t", 0): 8})
    assert offsets(mine) == {("t", 0): 3} and offsets(theirs) == {("t", 0): 8}


SCENARIOS: list[Callable[[Backend, str], None]] = [
    claiming_gives_new_partitions_from_beginning_and_keeps_stored_ones,
    storing_sets_only_the_partitions_given,
    a_transaction_that_raises_stores_nothing,
    a_refused_write_is_refused_and_its_offsets_are_not_stored,
    replacing_leaves_only_the_new_offsets,
    each_consumer_has_its_own_offsets,
]

"""Where a consumer that writes to a database keeps its position: beside what it writes.

The tracking recorder of eventsourcing: a batch's writes and the partitions' next offsets
go in one transaction of one store, so a batch is there whole, position included, or not
at all. The live loop and replay both go through this port.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from orderflow_platform.stream.records import Position

# librdkafka's OFFSET_BEGINNING: a partition the consumer has not processed yet.
FROM_BEGINNING = -2

C = TypeVar("C")


class Refused(Exception):
    """The store refused what the transaction wrote (bad values, a broken constraint);
    the transaction is rolled back, offsets included."""


class StoreUnavailable(Exception):
    """The store cannot be reached, or went away mid-transaction: whether the transaction
    committed is unknown until its stored offsets can be read again."""


class Checkpoints(Protocol):
    """One consumer's stored offsets, inside a transaction of the store that holds them."""

    def lock(self) -> dict[Position, int]:
        """The stored next offsets, which no other transaction can change until this one ends."""

    def claim(self, partitions: Iterable[Position]) -> None:
        """Stores FROM_BEGINNING for the partitions that have no offset yet, so `lock` covers them."""

    def store(self, next_offsets: Mapping[Position, int]) -> None:
        """Sets the partitions' next offsets; other partitions keep theirs."""

    def replace(self, next_offsets: Mapping[Position, int]) -> None:
        """Makes these the consumer's only offsets (a replay's, for tables built elsewhere)."""


@dataclass(frozen=True)
class Transaction(Generic[C]):
    """A transaction of the store: the connection writes go through, and the offsets."""

    connection: C
    checkpoints: Checkpoints


class CheckpointStore(Protocol[C]):
    def transaction(self) -> AbstractContextManager[Transaction[C]]:
        """One transaction: committed when the block ends, rolled back when it raises.

        Raises Refused when the store refuses the writes, StoreUnavailable when it cannot
        be reached; any other exception is the caller's, after the rollback.
        """

    def close(self) -> None: ...

"""The ports of the notification service: where notices go, and the outbox they wait in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from notify_svc.domain.model import Notification


class SinkFailed(Exception):
    """The sink could not take the notice now; it is retried later."""


class NotificationSink(Protocol):
    """One way of telling a user (console, email, ...)."""

    name: str
    # How many sends may be under way at once. A notice keeps its place until its
    # settlement is written, so a crash resends at most this many.
    in_flight: int

    async def send(self, notification: Notification) -> None:
        """Delivers the notice or raises SinkFailed. Sending the same notice again must be
        recognisable as the same message (its message_id), as a crash can repeat a send."""

    async def close(self) -> None:
        """Releases connections; the default has none."""
        return None


@dataclass(frozen=True)
class Pending:
    """A notice waiting for one sink."""

    notification: Notification
    sink: str
    attempts: int


@dataclass(frozen=True)
class Delivered:
    pending: Pending


@dataclass(frozen=True)
class Failed:
    pending: Pending
    error: str
    retry_at: datetime | None  # None: parked for good


Result = Delivered | Failed


class Outbox(Protocol):
    """Notices that are recorded but not yet delivered, one per order outcome and sink."""

    async def due(self, sink: str, limit: int) -> Sequence[Pending]:
        """Up to `limit` of the sink's notices whose next attempt is due, leased to this caller: should it
        die before settling one, the notice falls due again when the lease runs out."""

    async def settle(self, result: Result) -> None:
        """Records what became of one leased notice, as soon as it is known. Settlements
        made together may share one write; each call returns once its own is stored."""

    async def source_of(self, pending: Pending) -> tuple[str, bytes]:
        """The event a notice came from, as its topic and bytes (for the DLQ)."""


class DeadLetters(Protocol):
    """Where a notice given up goes, as the event it came from, with the reason in headers."""

    async def send(self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]) -> None:
        """Returns once the record is durably written."""

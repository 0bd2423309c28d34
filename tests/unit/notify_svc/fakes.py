"""Stand-ins for the notification service's parts that the handler tests do not need."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from notify_svc.domain.model import Notification
from tests.unit.notify_svc.test_handlers import FakeSink


class SignallingSink(FakeSink):
    """A sink that says when it has delivered a notice."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.delivered = asyncio.Event()

    async def send(self, notification: Notification) -> None:
        await super().send(notification)
        self.delivered.set()


class FakeDeadLetters:
    """The DLQ producer: what it was sent, and its closing, said in a shared record of events."""

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.sent: list[tuple[str, bytes, bytes]] = []

    async def send(self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]) -> None:
        self.sent.append((topic, key, value))

    def close(self) -> None:
        self.events.append("dead letters closed")

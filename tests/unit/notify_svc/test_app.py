"""The notification service's app built with fakes: entered, delivering, left."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing

from notify_svc.bootstrap import NotificationApp, NotifyParts
from notify_svc.domain.ports import Delivered, Outbox, Pending
from orderflow_platform.shutdown import Shutdown
from tests.unit.notify_svc.fakes import FakeDeadLetters, SignallingSink
from tests.unit.notify_svc.test_handlers import POLICY, FakeOutbox, notice

DEADLINE_SECONDS = 5.0


def test_the_app_delivers_from_the_outbox_then_closes_what_it_opened_in_reverse() -> None:
    events: list[str] = []
    pending = Pending(notice("o1"), "console", 0)
    notices = FakeOutbox([pending])
    console = SignallingSink("console")
    dead_letters = FakeDeadLetters(events)

    @asynccontextmanager
    async def outbox() -> AsyncIterator[Outbox]:
        events.append("outbox opened")
        yield notices
        events.append("outbox closed")

    def recording(shutdown: Shutdown) -> None:
        events.append("recording")
        shutdown.wait()
        events.append("recording stopped")

    app = NotificationApp(
        NotifyParts(
            outbox=outbox,
            dead_letters=lambda: closing(dead_letters),
            sinks=lambda: {"console": console},
            policy=POLICY,
            recording=lambda: recording,
        )
    )
    shutdown = Shutdown()

    async def life() -> None:
        async with app:
            running = asyncio.create_task(app.run(shutdown))
            await asyncio.wait_for(console.delivered.wait(), DEADLINE_SECONDS)
            shutdown.request()
            await asyncio.wait_for(running, DEADLINE_SECONDS)
            events.append("ran")

    asyncio.run(life())
    assert console.sent == [pending.notification]
    assert notices.settled == [Delivered(pending)]
    assert dead_letters.sent == []
    assert events == [
        "outbox opened",
        "recording",
        "recording stopped",
        "ran",
        "dead letters closed",
        "outbox closed",
    ]

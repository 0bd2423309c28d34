"""deliver_due with a fake outbox and fake sinks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from notify_svc import handlers
from notify_svc.domain.model import Line, Notification, OrderConfirmed, RetryPolicy, notification_for
from notify_svc.domain.ports import Delivered, Failed, NotificationSink, Pending, Result, SinkFailed

NOW = datetime(2026, 11, 25, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=10)


class FakeOutbox:
    def __init__(self, pending: list[Pending]) -> None:
        self.pending, self.settled = pending, list[Result]()

    async def due(self, sink: str, limit: int) -> Sequence[Pending]:
        due = [p for p in self.pending if p.sink == sink][:limit]
        self.pending = [p for p in self.pending if p not in due]
        return due

    async def settle(self, result: Result) -> None:
        self.settled.append(result)

    async def source_of(self, pending: Pending) -> tuple[str, bytes]:
        return "inventory.reserved", pending.notification.order_id.encode()


class FakeSink(NotificationSink):
    def __init__(self, name: str, failing: set[str] | None = None) -> None:
        self.name, self.failing, self.sent = name, failing or set(), list[Notification]()
        self.in_flight = 1

    async def send(self, notification: Notification) -> None:
        if notification.order_id in self.failing:
            raise SinkFailed("down")
        self.sent.append(notification)


def notice(order_id: str) -> Notification:
    return notification_for(OrderConfirmed(order_id, "u", (Line("A", 1),), 100), "x.test")


def deliver(outbox: FakeOutbox, sinks: dict[str, NotificationSink]) -> list[tuple[str, str]]:
    parked: list[tuple[str, str]] = []

    async def park(pending: Pending, reason: str) -> None:
        parked.append((pending.notification.order_id, reason))

    for sink in sorted({p.sink for p in outbox.pending}):
        asyncio.run(handlers.deliver_due(outbox, sink, sinks, policy=POLICY, now=lambda: NOW, park=park))
    return parked


def test_each_notice_goes_to_its_sink_and_is_settled_delivered() -> None:
    console, email = FakeSink("console"), FakeSink("email")
    outbox = FakeOutbox([Pending(notice("o1"), "console", 0), Pending(notice("o1"), "email", 0)])
    assert deliver(outbox, {"console": console, "email": email}) == []
    assert [n.order_id for n in console.sent + email.sent] == ["o1", "o1"]
    assert all(isinstance(r, Delivered) for r in outbox.settled)


def test_a_failing_notice_is_retried_later_without_holding_up_the_others() -> None:
    email = FakeSink("email", failing={"o1"})
    outbox = FakeOutbox([Pending(notice("o1"), "email", 0), Pending(notice("o2"), "email", 0)])
    deliver(outbox, {"email": email})
    assert [n.order_id for n in email.sent] == ["o2"]
    failed, delivered = outbox.settled
    assert isinstance(failed, Failed) and failed.retry_at == NOW + timedelta(seconds=1)
    assert isinstance(delivered, Delivered)


def test_the_due_notices_of_a_sink_are_sent_side_by_side() -> None:
    class OverlappingSink(FakeSink):
        """Lets a send finish only once every notice of the batch is being sent."""

        def __init__(self, batch: int) -> None:
            super().__init__("email")
            self.in_flight = batch
            self.all_in_flight = asyncio.Barrier(batch)

        async def send(self, notification: Notification) -> None:
            async with asyncio.timeout(5):
                await self.all_in_flight.wait()
            await super().send(notification)

    email = OverlappingSink(3)
    outbox = FakeOutbox([Pending(notice(f"o{i}"), "email", 0) for i in range(3)])
    deliver(outbox, {"email": email})
    assert sorted(n.order_id for n in email.sent) == ["o0", "o1", "o2"]
    assert all(isinstance(r, Delivered) for r in outbox.settled)


def test_no_more_than_the_sinks_in_flight_are_sent_and_unsettled_at_once() -> None:
    class CountingSink(FakeSink):
        def __init__(self) -> None:
            super().__init__("email")
            self.in_flight, self.under_way, self.most = 2, 0, 0

        async def send(self, notification: Notification) -> None:
            self.under_way += 1
            self.most = max(self.most, self.under_way)
            await asyncio.sleep(0)
            await super().send(notification)

    class SlowSettling(FakeOutbox):
        async def settle(self, result: Result) -> None:
            await asyncio.sleep(0)
            email.under_way -= 1
            await super().settle(result)

    email = CountingSink()
    outbox = SlowSettling([Pending(notice(f"o{i}"), "email", 0) for i in range(5)])
    deliver(outbox, {"email": email})
    assert (len(outbox.settled), email.most) == (5, 2)


def test_after_its_last_attempt_a_notice_is_parked() -> None:
    email = FakeSink("email", failing={"o1"})
    outbox = FakeOutbox([Pending(notice("o1"), "email", 2)])
    assert deliver(outbox, {"email": email}) == [("o1", "down")]
    (failed,) = outbox.settled
    assert isinstance(failed, Failed) and failed.retry_at is None


def test_a_notice_for_a_sink_this_profile_does_not_enable_is_parked() -> None:
    outbox = FakeOutbox([Pending(notice("o1"), "sms", 0)])
    ((order_id, reason),) = deliver(outbox, {})
    assert order_id == "o1" and "sms" in reason


def test_notices_for_gives_one_per_enabled_sink() -> None:
    outcome = OrderConfirmed("o1", "u", (Line("A", 1),), 100)
    assert [sink for _n, sink in handlers.notices_for(outcome, ["console", "email"], "x.test")] == [
        "console",
        "email",
    ]

"""The notification service's two use cases: record notices, deliver the due ones."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta

from notify_svc.domain.model import Notification, Outcome, RetryPolicy, notification_for
from notify_svc.domain.ports import Delivered, Failed, NotificationSink, Outbox, Pending, Result, SinkFailed

BATCH = 100


def notices_for(
    outcome: Outcome, sinks: Sequence[str], recipient_domain: str
) -> list[tuple[Notification, str]]:
    """One notice per enabled sink for an order's outcome."""
    notification = notification_for(outcome, recipient_domain)
    return [(notification, sink) for sink in sinks]


async def deliver_due(
    outbox: Outbox,
    sink: str,
    sinks: Mapping[str, NotificationSink],
    *,
    policy: RetryPolicy,
    now: Callable[[], datetime],
    park: Callable[[Pending, str], Awaitable[None]],
) -> list[Result]:
    """Sends what is due for one sink, up to the sink's `in_flight` at once, each notice on
    its own: a failing one holds up no other.

    A failure is retried after a backoff; after the policy's last attempt the notice is
    parked (handed to `park`, then marked) instead."""

    enabled = sinks.get(sink)
    places = asyncio.Semaphore(enabled.in_flight if enabled is not None else 1)

    async def deliver(pending: Pending) -> Result:
        # Its place is held until the settlement is written: a crash resends at most
        # `in_flight` notices.
        async with places:
            result = await _attempt(pending, sinks, policy, now, park)
            await outbox.settle(result)
        return result

    return list(await asyncio.gather(*(deliver(pending) for pending in await outbox.due(sink, BATCH))))


async def _attempt(
    pending: Pending,
    sinks: Mapping[str, NotificationSink],
    policy: RetryPolicy,
    now: Callable[[], datetime],
    park: Callable[[Pending, str], Awaitable[None]],
) -> Result:
    sink = sinks.get(pending.sink)
    if sink is None:
        reason = f"sink {pending.sink!r} is not enabled in this profile"
        await park(pending, reason)
        return Failed(pending, reason, None)
    try:
        await sink.send(pending.notification)
    except SinkFailed as failure:
        attempts = pending.attempts + 1
        if policy.gives_up_after(attempts):
            await park(pending, str(failure))
            return Failed(pending, str(failure), None)
        return Failed(pending, str(failure), now() + timedelta(seconds=policy.delay_after(attempts)))
    return Delivered(pending)

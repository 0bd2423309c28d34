"""notify's outbox on the real Postgres: leases, settlements, and migration 0007 upgrading
an outbox with leases taken under the old scheme. Each test uses a sink of its own, which
the stack's notify_svc (it delivers only its configured sinks) never leases."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import psycopg

from notify_svc.adapters.postgres_outbox import PostgresOutbox, record
from notify_svc.domain.model import Notification
from notify_svc.domain.ports import Delivered, Failed, Pending
from orderflow_platform import postgres_pool
from orderflow_platform.settings import Settings
from tests.integration.test_projector_migrations import alembic, scratch

__all__ = ["scratch"]  # the fixture, used by name
T = TypeVar("T")
DEADLINE_SECONDS = 30.0


def notice(order_id: str) -> Notification:
    return Notification(order_id, "u1", "confirmed", "u1@x.test", "Order confirmed", "body")


def recorded(dsn: str, sink: str, *order_ids: str) -> None:
    with psycopg.connect(dsn) as conn:
        record(conn, [(notice(order_id), sink, "inventory.reserved", b"event") for order_id in order_ids])


def with_outbox(dsn: str, lease_seconds: float, use: Callable[[PostgresOutbox], Awaitable[T]]) -> T:
    async def run() -> T:
        async with postgres_pool.async_pool(dsn, max_size=2) as pool:
            return await use(PostgresOutbox(pool, lease_seconds))

    return asyncio.run(run())


async def due_within(outbox: PostgresOutbox, sink: str, deadline: float) -> list[str]:
    """The order ids due for the sink, asked until some are or the deadline passes."""
    end = asyncio.get_running_loop().time() + deadline
    while True:
        due = [p.notification.order_id for p in await outbox.due(sink, 10)]
        if due or asyncio.get_running_loop().time() > end:
            return due
        await asyncio.sleep(0.05)


def test_a_leased_notice_is_not_handed_out_again_until_its_lease_ends(
    settings: Settings, unique: str
) -> None:
    sink = f"test-{unique}"
    recorded(settings.postgres.dsn, sink, f"o-{unique}")

    async def use(outbox: PostgresOutbox) -> tuple[list[str], list[str], list[str]]:
        first = [p.notification.order_id for p in await outbox.due(sink, 10)]
        again = [p.notification.order_id for p in await outbox.due(sink, 10)]
        return first, again, await due_within(outbox, sink, DEADLINE_SECONDS)

    first, again, after_the_lease = with_outbox(settings.postgres.dsn, 1.0, use)
    assert (first, again, after_the_lease) == ([f"o-{unique}"], [], [f"o-{unique}"])


def test_a_failed_notice_is_due_at_its_retry_time_not_when_its_lease_ends(
    settings: Settings, unique: str
) -> None:
    sink = f"test-{unique}"
    recorded(settings.postgres.dsn, sink, f"o-{unique}")

    async def use(outbox: PostgresOutbox) -> tuple[list[str], list[Pending]]:
        (pending,) = await outbox.due(sink, 10)
        await outbox.settle(Failed(pending, "smtp down", datetime.now(UTC) + timedelta(seconds=0.2)))
        # The lease (an hour) would hold it far past the deadline.
        retried = await due_within(outbox, sink, DEADLINE_SECONDS)
        return retried, list(await outbox.due(sink, 10))

    retried, _ = with_outbox(settings.postgres.dsn, 3600.0, use)
    assert retried == [f"o-{unique}"]
    with psycopg.connect(settings.postgres.dsn) as conn:
        row = conn.execute(
            "SELECT attempts, last_error, state FROM notification_outbox WHERE sink = %s", (sink,)
        ).fetchone()
    assert row == (1, "smtp down", "pending")


def test_a_delivered_notice_is_never_due_again(settings: Settings, unique: str) -> None:
    sink = f"test-{unique}"
    recorded(settings.postgres.dsn, sink, f"o-{unique}", f"o-{unique}-2")

    async def use(outbox: PostgresOutbox) -> list[Pending]:
        for pending in await outbox.due(sink, 10):
            await outbox.settle(Delivered(pending))
        return list(await outbox.due(sink, 10))

    assert with_outbox(settings.postgres.dsn, 0.0, use) == []
    with psycopg.connect(settings.postgres.dsn) as conn:
        states = conn.execute(
            "SELECT state, delivered_at IS NOT NULL, leased_until FROM notification_outbox WHERE sink = %s",
            (sink,),
        ).fetchall()
    assert states == [("delivered", True, None)] * 2


def test_a_notice_recorded_twice_in_one_batch_or_again_later_is_one_row(
    settings: Settings, unique: str
) -> None:
    sink = f"test-{unique}"
    recorded(settings.postgres.dsn, sink, f"o-{unique}", f"o-{unique}", f"o-{unique}-2")
    recorded(settings.postgres.dsn, sink, f"o-{unique}")
    with psycopg.connect(settings.postgres.dsn) as conn:
        rows = conn.execute(
            "SELECT order_id, kind, recipient, source_topic, source_value FROM notification_outbox"
            " WHERE sink = %s ORDER BY order_id",
            (sink,),
        ).fetchall()
    assert rows == [
        (order_id, "confirmed", "u1@x.test", "inventory.reserved", b"event")
        for order_id in (f"o-{unique}", f"o-{unique}-2")
    ]


def test_0007_keeps_a_lease_taken_before_it_and_leaves_room_for_hot_updates(scratch: str) -> None:
    alembic(scratch, "upgrade", "0006")
    recorded(scratch, "email", "o-leased", "o-due")
    with psycopg.connect(scratch) as conn:
        # The old lease: next_attempt_at pushed past the lease.
        conn.execute(
            "UPDATE notification_outbox SET next_attempt_at = now() + interval '1 hour'"
            " WHERE order_id = 'o-leased'"
        )
    alembic(scratch, "upgrade", "0007")
    due = with_outbox(scratch, 15.0, lambda outbox: outbox.due("email", 10))
    assert [p.notification.order_id for p in due] == ["o-due"]
    with psycopg.connect(scratch) as conn:
        options: dict[str, list[str] | None] = dict(
            conn.execute(
                "SELECT relname, reloptions FROM pg_class"
                " WHERE relname IN ('notification_outbox', 'order_requests')"
            ).fetchall()
        )
    assert options == {"notification_outbox": ["fillfactor=60"], "order_requests": ["fillfactor=80"]}
    alembic(scratch, "downgrade", "0006")
    with psycopg.connect(scratch) as conn:
        assert conn.execute("SELECT count(*) FROM notification_outbox").fetchone() == (2,)
        assert conn.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'notification_outbox'"
        ).fetchone() == (None,)

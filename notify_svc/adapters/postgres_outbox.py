"""The outbox in Postgres (table notification_outbox, migration 0003)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg_pool import AsyncConnectionPool

from notify_svc.domain.model import Notification
from notify_svc.domain.ports import Delivered, Outbox, Pending, Result

COLUMNS = "order_id, sink, kind, user_id, recipient, subject, body"


def record(conn: psycopg.Connection, notices: Sequence[tuple[Notification, str, str, bytes]]) -> None:
    """Inserts (notice, sink, source topic, source value) rows; an outcome seen again adds nothing."""
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO notification_outbox ({COLUMNS}, source_topic, source_value)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (order_id, sink) DO NOTHING",
            [
                (n.order_id, sink, n.kind, n.user_id, n.recipient, n.subject, n.body, topic, value)
                for n, sink, topic, value in notices
            ],
        )


class PostgresOutbox(Outbox):
    """Leases due rows by pushing their next attempt past the lease (FOR UPDATE SKIP LOCKED,
    so concurrent senders never share a notice); a sender that dies lets them fall due."""

    def __init__(self, pool: AsyncConnectionPool, lease_seconds: float = 15.0) -> None:
        self._pool, self._lease_seconds = pool, lease_seconds

    async def due(self, sink: str, limit: int) -> Sequence[Pending]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE notification_outbox SET next_attempt_at = now() + make_interval(secs => %s)"
                " WHERE (order_id, sink) IN (SELECT order_id, sink FROM notification_outbox"
                "   WHERE state = 'pending' AND sink = %s AND next_attempt_at <= now()"
                "   ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)"
                f" RETURNING {COLUMNS}, attempts, created_at",
                (self._lease_seconds, sink, limit),
            )
            rows = sorted(await cursor.fetchall(), key=lambda row: row[-1])
        return [Pending(Notification(o, u, k, r, s, b), sink, n) for o, sink, k, u, r, s, b, n, _at in rows]

    async def settle(self, result: Result) -> None:
        key = (result.pending.notification.order_id, result.pending.sink)
        async with self._pool.connection() as conn:
            if isinstance(result, Delivered):
                await conn.execute(
                    "UPDATE notification_outbox SET state = 'delivered', delivered_at = now(),"
                    " attempts = attempts + 1 WHERE order_id = %s AND sink = %s",
                    key,
                )
                return
            await conn.execute(
                "UPDATE notification_outbox SET attempts = attempts + 1, last_error = %s,"
                " state = CASE WHEN %s::timestamptz IS NULL THEN 'parked' ELSE 'pending' END,"
                " next_attempt_at = coalesce(%s, next_attempt_at) WHERE order_id = %s AND sink = %s",
                (result.error, result.retry_at, result.retry_at, *key),
            )

    async def source_of(self, pending: Pending) -> tuple[str, bytes]:
        """The event a notice came from, as its topic and bytes."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT source_topic, source_value FROM notification_outbox"
                " WHERE order_id = %s AND sink = %s",
                (pending.notification.order_id, pending.sink),
            )
            row = await cursor.fetchone()
        assert row is not None
        return str(row[0]), bytes(row[1])

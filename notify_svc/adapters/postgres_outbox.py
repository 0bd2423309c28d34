"""The outbox in Postgres (table notification_outbox, migrations 0003 and 0007)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg_pool import AsyncConnectionPool

from notify_svc.domain.model import Notification
from notify_svc.domain.ports import Failed, Pending, Result
from orderflow_platform.group_commit import GroupCommit

COLUMNS = "order_id, sink, kind, user_id, recipient, subject, body"


# One statement for a whole batch: a statement per notice cost the service and Postgres
# more than the rest of recording it.
RECORD = f"""
INSERT INTO notification_outbox ({COLUMNS}, source_topic, source_value)
SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                     %s::text[], %s::bytea[])
ON CONFLICT (order_id, sink) DO NOTHING
"""


def record(conn: psycopg.Connection, notices: Sequence[tuple[Notification, str, str, bytes]]) -> None:
    """Inserts (notice, sink, source topic, source value) rows; an outcome seen again adds nothing."""
    if not notices:
        return
    rows = [
        (n.order_id, sink, n.kind, n.user_id, n.recipient, n.subject, n.body, topic, value)
        for n, sink, topic, value in notices
    ]
    conn.execute(RECORD, [list(column) for column in zip(*rows, strict=True)])


# Every result of a batch in one statement: delivered, retried later, or parked.
SETTLE = """
UPDATE notification_outbox AS n SET
    attempts = n.attempts + 1,
    state = CASE WHEN r.delivered THEN 'delivered' WHEN r.retry_at IS NULL THEN 'parked' ELSE 'pending' END,
    delivered_at = CASE WHEN r.delivered THEN now() ELSE n.delivered_at END,
    last_error = CASE WHEN r.delivered THEN n.last_error ELSE r.error END,
    next_attempt_at = coalesce(r.retry_at, n.next_attempt_at),
    leased_until = NULL
FROM unnest(%s::text[], %s::text[], %s::bool[], %s::text[], %s::timestamptz[])
    AS r(order_id, sink, delivered, error, retry_at)
WHERE n.order_id = r.order_id AND n.sink = r.sink
"""
MAX_SETTLE_BATCH = 500


# The due rows of a sink not leased now, leased (FOR UPDATE SKIP LOCKED: concurrent senders
# never share a notice). The lease is a column no index covers, so that update is HOT.
LEASE = f"""
UPDATE notification_outbox SET leased_until = now() + make_interval(secs => %(lease)s)
WHERE (order_id, sink) IN (
    SELECT order_id, sink FROM notification_outbox
    WHERE state = 'pending' AND sink = %(sink)s AND next_attempt_at <= now()
      AND (leased_until IS NULL OR leased_until <= now())
    ORDER BY next_attempt_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING {COLUMNS}, attempts, created_at
"""


class PostgresOutbox:
    """Leases due rows until `lease_seconds` from now; a sender that dies lets them fall due
    then. A settlement ends the lease.

    Settlements are group-committed: those that come in while one batch is written go
    together in the next, so a notice is recorded one round trip after its send at most.
    """

    def __init__(self, pool: AsyncConnectionPool, lease_seconds: float = 15.0) -> None:
        self._pool, self._lease_seconds = pool, lease_seconds
        self._settlements = GroupCommit(self._settle_all, MAX_SETTLE_BATCH)

    async def due(self, sink: str, limit: int) -> Sequence[Pending]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(LEASE, {"lease": self._lease_seconds, "sink": sink, "limit": limit})
            rows = sorted(await cursor.fetchall(), key=lambda row: row[-1])
        return [Pending(Notification(o, u, k, r, s, b), sink, n) for o, sink, k, u, r, s, b, n, _at in rows]

    async def settle(self, result: Result) -> None:
        await self._settlements.submit(result)

    async def _settle_all(self, results: Sequence[Result]) -> list[None]:
        failures = [r if isinstance(r, Failed) else None for r in results]
        async with self._pool.connection() as conn:
            await conn.execute(
                SETTLE,
                (
                    [r.pending.notification.order_id for r in results],
                    [r.pending.sink for r in results],
                    [f is None for f in failures],
                    [f.error if f else None for f in failures],
                    [f.retry_at if f else None for f in failures],
                ),
            )
        return [None] * len(results)

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

"""The request ledger in Postgres (table order_requests, see migrations/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

import psycopg
from psycopg_pool import AsyncConnectionPool

from order_svc.domain.ports import Claim, RequestState, Unavailable

# Longer than the producer's delivery timeout: a claim this old has no live owner.
STALE_AFTER = timedelta(seconds=30)

CLAIM = """
INSERT INTO order_requests (user_id, idempotency_key, order_id, fingerprint, state)
VALUES (%(user)s, %(key)s, %(order_id)s, %(fingerprint)s, 'claimed')
ON CONFLICT (user_id, idempotency_key) DO UPDATE
    SET claimed_at = now()
    WHERE order_requests.state = 'claimed' AND order_requests.claimed_at < now() - %(stale)s
RETURNING order_id, fingerprint, state
"""
CURRENT = """
SELECT order_id, fingerprint, state FROM order_requests
WHERE user_id = %(user)s AND idempotency_key = %(key)s
"""


@asynccontextmanager
async def pooled_connection(pool: AsyncConnectionPool, what: str) -> AsyncIterator[psycopg.AsyncConnection]:
    """A connection from the pool; Unavailable when Postgres cannot give one in time."""
    try:
        async with pool.connection() as conn:
            yield conn
    except psycopg.OperationalError as error:  # includes the pool's own timeout
        raise Unavailable(f"{what}: {error}") from error


class PostgresRequestLedger:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    def _connection(self) -> AbstractAsyncContextManager[psycopg.AsyncConnection]:
        return pooled_connection(self._pool, "request ledger")

    async def claim(self, user_id: str, key: str, order_id: str, fingerprint: str) -> Claim:
        params = {
            "user": user_id,
            "key": key,
            "order_id": order_id,
            "fingerprint": fingerprint,
            "stale": STALE_AFTER,
        }
        async with self._connection() as conn:
            # Inserted, or taken over from a stale claim: this caller owns the append.
            row = await (await conn.execute(CLAIM, params)).fetchone()
            if row is not None:
                return Claim(row[0], row[1], RequestState(row[2]), owned=True)
            row = await (await conn.execute(CURRENT, params)).fetchone()
        assert row is not None, "order_requests rows are never deleted"
        return Claim(row[0], row[1], RequestState(row[2]), owned=False)

    async def appended(self, user_id: str, key: str) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "UPDATE order_requests SET state = 'appended' WHERE user_id = %s AND idempotency_key = %s",
                (user_id, key),
            )

    async def abandon(self, user_id: str, key: str) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "UPDATE order_requests SET claimed_at = '-infinity'"
                " WHERE user_id = %s AND idempotency_key = %s AND state = 'claimed'",
                (user_id, key),
            )

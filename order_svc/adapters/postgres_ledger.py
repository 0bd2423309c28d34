"""The request ledger in Postgres (table order_requests, see migrations/)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType

import psycopg
from psycopg_pool import AsyncConnectionPool

from order_svc.domain.ports import Claim, RequestState, Unavailable
from orderflow_platform.logs import get_logger

log = get_logger(__name__)
# The first key of every order_svc instance lock; the second is the instance's number.
LOCK_SPACE = int.from_bytes(b"ordr", "big")

# A claim with no live owner is taken over by the next retry with the same request. Its
# owner is alive while its session holds the advisory lock (LOCK_SPACE, owner): Postgres
# releases that lock as soon as the session ends, and a killed process's socket is closed
# by the kernel at once, so a crash is visible to the next statement, not after a timeout.
CLAIM = """
INSERT INTO order_requests (user_id, idempotency_key, order_id, fingerprint, state, owner)
VALUES (%(user)s, %(key)s, %(order_id)s, %(fingerprint)s, 'claimed', %(owner)s)
ON CONFLICT (user_id, idempotency_key) DO UPDATE
    SET owner = EXCLUDED.owner
    WHERE order_requests.state = 'claimed'
      AND order_requests.fingerprint = EXCLUDED.fingerprint
      AND (order_requests.owner IS NULL OR NOT EXISTS (
          SELECT FROM pg_locks
          WHERE locktype = 'advisory' AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid::bigint = %(space)s AND objid::bigint = order_requests.owner
            AND objsubid = 2))
RETURNING order_id, fingerprint, state, claimed_at, xmax <> 0
"""
CURRENT = """
SELECT order_id, fingerprint, state, claimed_at FROM order_requests
WHERE user_id = %(user)s AND idempotency_key = %(key)s
"""
CHECK_EVERY_SECONDS = 1.0
RECONNECT_EVERY_SECONDS = 0.5
FIRST_LOCK_WAIT_SECONDS = 5.0


class InstanceLock:
    """This instance's number, locked in Postgres for as long as the process lives.

    A dedicated session takes a number from `order_svc_instances` and holds the advisory
    lock (LOCK_SPACE, number). If that session is lost (Postgres restarted), it reconnects
    and takes the same lock again; until then the instance claims nothing.
    """

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._number: int | None = None
        self._held = asyncio.Event()
        self._keeper: asyncio.Task[None] | None = None

    @property
    def number(self) -> int:
        """The number claims record as their owner; Unavailable while the lock is not held."""
        if not self._held.is_set() or self._number is None:
            raise Unavailable("request ledger: this instance holds no lock in Postgres")
        return self._number

    async def __aenter__(self) -> InstanceLock:
        self._keeper = asyncio.create_task(self._keep(), name="instance-lock")
        # Serve keyed requests from the start if Postgres is up; if not, start anyway and
        # answer them UNAVAILABLE until the lock is taken.
        try:
            await asyncio.wait_for(self._held.wait(), FIRST_LOCK_WAIT_SECONDS)
        except TimeoutError:
            log.warning("instance lock not taken yet; keyed requests are refused until it is")
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)

    async def _keep(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True, connect_timeout=5
                ) as conn:
                    if self._number is None:
                        row = await (await conn.execute("SELECT nextval('order_svc_instances')")).fetchone()
                        assert row is not None
                        self._number = int(row[0])
                    query = "SELECT pg_try_advisory_lock(%s::integer, %s::integer)"
                    row = await (await conn.execute(query, (LOCK_SPACE, self._number))).fetchone()
                    # Not granted: the server still holds our previous session; it ends soon.
                    if row is not None and row[0]:
                        self._held.set()
                        log.info("instance lock taken", instance=self._number)
                        while True:
                            await asyncio.sleep(CHECK_EVERY_SECONDS)
                            await conn.execute("SELECT 1")
            except psycopg.OperationalError as error:
                if self._held.is_set():
                    log.warning("instance lock lost", instance=self._number, error=str(error))
            self._held.clear()
            await asyncio.sleep(RECONNECT_EVERY_SECONDS)


@asynccontextmanager
async def pooled_connection(pool: AsyncConnectionPool, what: str) -> AsyncIterator[psycopg.AsyncConnection]:
    """A connection from the pool; Unavailable when Postgres cannot give one in time."""
    try:
        async with pool.connection() as conn:
            yield conn
    except psycopg.OperationalError as error:  # includes the pool's own timeout
        raise Unavailable(f"{what}: {error}") from error


class PostgresRequestLedger:
    def __init__(self, pool: AsyncConnectionPool, instance: InstanceLock) -> None:
        self._pool = pool
        self._instance = instance

    def _connection(self) -> AbstractAsyncContextManager[psycopg.AsyncConnection]:
        return pooled_connection(self._pool, "request ledger")

    async def claim(self, user_id: str, key: str, order_id: str, fingerprint: str) -> Claim:
        params = {
            "user": user_id,
            "key": key,
            "order_id": order_id,
            "fingerprint": fingerprint,
            "owner": self._instance.number,
            "space": LOCK_SPACE,
        }
        async with self._connection() as conn:
            # Inserted, or taken over from a claim without a live owner: this caller owns it.
            row = await (await conn.execute(CLAIM, params)).fetchone()
            if row is not None:
                return Claim(row[0], row[1], RequestState(row[2]), True, row[3], taken_over=row[4])
            row = await (await conn.execute(CURRENT, params)).fetchone()
        assert row is not None, "order_requests rows are never deleted"
        return Claim(row[0], row[1], RequestState(row[2]), False, row[3])

    async def appended(self, user_id: str, key: str) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "UPDATE order_requests SET state = 'appended' WHERE user_id = %s AND idempotency_key = %s",
                (user_id, key),
            )

    async def abandon(self, user_id: str, key: str) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "UPDATE order_requests SET owner = NULL"
                " WHERE user_id = %s AND idempotency_key = %s AND state = 'claimed' AND owner = %s",
                (user_id, key, self._instance.number),
            )

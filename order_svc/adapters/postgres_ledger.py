"""The request ledger in Postgres (table order_requests, see migrations/)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from order_svc.domain.ports import Claim, RequestState, Unavailable
from orderflow_platform.group_commit import GroupCommit
from orderflow_platform.logs import get_logger

log = get_logger(__name__)
# The first key of every order_svc instance lock; the second is the instance's number.
LOCK_SPACE = int.from_bytes(b"ordr", "big")

# A claim with no live owner is taken over by the next retry with the same request. Its
# owner is alive while its session holds the advisory lock (LOCK_SPACE, owner): Postgres
# releases that lock as soon as the session ends, and a killed process's socket is closed
# by the kernel at once, so a crash is visible to the next statement, not after a timeout.
CLAIM = """
INSERT INTO order_requests AS r (user_id, idempotency_key, order_id, fingerprint, state, owner)
SELECT claim.user_id, claim.key, claim.order_id, claim.fingerprint, 'claimed', %(owner)s
FROM unnest(%(users)s::text[], %(keys)s::text[], %(order_ids)s::text[], %(fingerprints)s::text[])
    AS claim(user_id, key, order_id, fingerprint)
ON CONFLICT (user_id, idempotency_key) DO UPDATE
    SET owner = EXCLUDED.owner
    WHERE r.state = 'claimed'
      AND r.fingerprint = EXCLUDED.fingerprint
      AND (r.owner IS NULL OR NOT EXISTS (
          SELECT FROM pg_locks
          WHERE locktype = 'advisory' AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid::bigint = %(space)s AND objid::bigint = r.owner
            AND objsubid = 2))
RETURNING user_id, idempotency_key, order_id, fingerprint, state, claimed_at, xmax <> 0
"""
CURRENT = """
SELECT user_id, idempotency_key, order_id, fingerprint, state, claimed_at FROM order_requests
WHERE (user_id, idempotency_key) IN (SELECT * FROM unnest(%(users)s::text[], %(keys)s::text[]))
"""
APPENDED = """
UPDATE order_requests SET state = 'appended'
WHERE (user_id, idempotency_key) IN (SELECT * FROM unnest(%(users)s::text[], %(keys)s::text[]))
"""
# Claims and outcomes are group-committed: one statement and one commit for all the
# requests that arrived during the previous round trip.
MAX_BATCH = 500
# An outcome is recorded after the caller has its answer, so its commit waits this long
# for others to share it: at 500 orders/s some ten marks (500/s over 20 ms) share a commit
# that one or two did.
APPENDED_LINGER_SECONDS = 0.02
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


@dataclass(frozen=True)
class ClaimRequest:
    user_id: str
    key: str
    order_id: str
    fingerprint: str


class PostgresRequestLedger:
    def __init__(self, pool: AsyncConnectionPool, instance: InstanceLock) -> None:
        self._pool = pool
        self._instance = instance
        self._claims = GroupCommit(self._claim_all, MAX_BATCH)
        self._appended = GroupCommit(self._mark_appended, MAX_BATCH, APPENDED_LINGER_SECONDS)

    def _connection(self) -> AbstractAsyncContextManager[psycopg.AsyncConnection]:
        return pooled_connection(self._pool, "request ledger")

    async def claim(self, user_id: str, key: str, order_id: str, fingerprint: str) -> Claim:
        return await self._claims.submit(ClaimRequest(user_id, key, order_id, fingerprint))

    async def appended(self, user_id: str, key: str) -> None:
        await self._appended.submit((user_id, key))

    async def abandon(self, user_id: str, key: str) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "UPDATE order_requests SET owner = NULL"
                " WHERE user_id = %s AND idempotency_key = %s AND state = 'claimed' AND owner = %s",
                (user_id, key, self._instance.number),
            )

    async def _claim_all(self, requests: Sequence[ClaimRequest]) -> list[Claim]:
        owner = self._instance.number
        owned: dict[int, Claim] = {}
        async with self._connection() as conn:
            # One INSERT may not touch a row twice: a key asked for twice in a batch goes
            # in a later round of the same transaction, and finds the first round's row.
            for round_ in _rounds(requests):
                # Keys in one order, so two instances' batches never wait on each other in a cycle.
                round_.sort(key=lambda i: (requests[i].user_id, requests[i].key))
                by_key = {(requests[i].user_id, requests[i].key): i for i in round_}
                cursor = await conn.execute(CLAIM, _arrays([requests[i] for i in round_], owner=owner))
                # Inserted, or taken over from a claim without a live owner: this caller owns it.
                for user_id, key, order_id, digest, state, claimed_at, taken_over in await cursor.fetchall():
                    owned[by_key[(user_id, key)]] = Claim(
                        order_id, digest, RequestState(state), True, claimed_at, taken_over=taken_over
                    )
            others = [requests[i] for i in range(len(requests)) if i not in owned]
            current: dict[tuple[str, str], tuple[Any, ...]] = {}
            if others:
                cursor = await conn.execute(CURRENT, _arrays(others))
                current = {(row[0], row[1]): row[2:] for row in await cursor.fetchall()}
        claims = []
        for i, request in enumerate(requests):
            if i in owned:
                claims.append(owned[i])
                continue
            order_id, digest, state, claimed_at = current[(request.user_id, request.key)]
            claims.append(Claim(order_id, digest, RequestState(state), False, claimed_at))
        return claims

    async def _mark_appended(self, keys: Sequence[tuple[str, str]]) -> list[None]:
        async with self._connection() as conn:
            await conn.execute(APPENDED, {"users": [u for u, _ in keys], "keys": [k for _, k in keys]})
        return [None] * len(keys)


def _rounds(requests: Sequence[ClaimRequest]) -> list[list[int]]:
    """Indexes of `requests` in rounds, each key at most once per round, first come first."""
    rounds: list[list[int]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, request in enumerate(requests):
        times = seen.get((request.user_id, request.key), 0)
        seen[(request.user_id, request.key)] = times + 1
        if times == len(rounds):
            rounds.append([])
        rounds[times].append(i)
    return rounds


def _arrays(requests: Sequence[ClaimRequest], **extra: int) -> dict[str, object]:
    return {
        "users": [r.user_id for r in requests],
        "keys": [r.key for r in requests],
        "order_ids": [r.order_id for r in requests],
        "fingerprints": [r.fingerprint for r in requests],
        "space": LOCK_SPACE,
        **extra,
    }

"""The services' Postgres pool is back soon after Postgres, however long Postgres was away."""

from __future__ import annotations

import asyncio
import time

import psycopg
from psycopg_pool import AsyncConnectionPool

from orderflow_platform.postgres_pool import async_pool
from orderflow_platform.settings import Settings
from tests.integration.tcp_proxy import TcpProxy

# Long enough that psycopg_pool's default backoff (attempts 1, 3, 7, 15, 31 and 63 s after
# the first failure) would next try about 30 s after Postgres is back.
OUTAGE_SECONDS = 33.0
# A liveness bound, far from both sides: the pool's own cycle is at most a few seconds,
# the default backoff's gap about 30.
BACK_WITHIN_SECONDS = 15.0
REQUEST_EVERY_SECONDS = 0.5


async def _query(pool: AsyncConnectionPool) -> bool:
    try:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:  # includes the pool's own timeout
        return False


def test_the_pool_serves_again_within_seconds_of_postgres_after_a_long_outage(settings: Settings) -> None:
    proxy = TcpProxy(5432)
    dsn = settings.postgres.dsn.replace("localhost:5432", f"127.0.0.1:{proxy.port}")

    async def scenario() -> tuple[bool, bool, float | None]:
        proxy.open()
        async with async_pool(dsn, max_size=2, timeout=1.0) as pool:
            before = await _query(pool)
            proxy.cut()
            # Requests keep coming during the outage, as they do to order_svc.
            outage_ends = time.monotonic() + OUTAGE_SECONDS
            during = False
            while time.monotonic() < outage_ends:
                during = during or await _query(pool)
                await asyncio.sleep(REQUEST_EVERY_SECONDS)
            proxy.open()
            restored = time.monotonic()
            while time.monotonic() - restored < 2 * BACK_WITHIN_SECONDS + OUTAGE_SECONDS:
                if await _query(pool):
                    return before, during, time.monotonic() - restored
                await asyncio.sleep(REQUEST_EVERY_SECONDS)
            return before, during, None

    try:
        before, during, back_after = asyncio.run(scenario())
    finally:
        proxy.cut()
    assert before and not during
    assert back_after is not None and back_after < BACK_WITHIN_SECONDS, back_after

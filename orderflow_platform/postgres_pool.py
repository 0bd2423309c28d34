"""The asyncio Postgres connection pool every service opens the same way."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

# psycopg_pool retries a failed connection with a doubling delay until `reconnect_timeout`
# (5 minutes by default): after a 30 s outage its next attempt could come 30 s after
# Postgres was back, and every request meanwhile waited out its budget. An attempt that
# gives up after 10 s lets the next request start a new one from a 1 s delay, so the pool
# is back within a few seconds of Postgres, whatever the outage's length.
RECONNECT_TIMEOUT_SECONDS = 10.0


def async_pool(dsn: str, *, max_size: int, timeout: float = 5.0) -> AsyncConnectionPool:
    """Opened by the caller (`async with`); a request waits at most `timeout` for a connection."""
    return AsyncConnectionPool(
        dsn,
        min_size=1,
        max_size=max_size,
        timeout=timeout,
        reconnect_timeout=RECONNECT_TIMEOUT_SECONDS,
        open=False,
    )

"""Graceful shutdown: SIGINT/SIGTERM ask a process to finish its work and stop."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Shutdown:
    """Set once a stop is requested; loops check it between units of work."""

    def __init__(self) -> None:
        self._requested = threading.Event()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    @property
    def requested(self) -> bool:
        return self._requested.is_set()

    def request(self) -> None:
        self._requested.set()
        for loop, event in self._waiters:
            loop.call_soon_threadsafe(event.set)

    def install(self) -> Shutdown:
        """Routes SIGINT and SIGTERM here (call from the main thread)."""
        for sig in SIGNALS:
            signal.signal(sig, lambda _signum, _frame: self.request())
        return self

    def wait(self, timeout: float | None = None) -> bool:
        return self._requested.wait(timeout)

    async def wait_async(self) -> None:
        event = asyncio.Event()
        self._waiters.append((asyncio.get_running_loop(), event))
        if self.requested:
            event.set()
        await event.wait()


class BackgroundLoop:
    """A blocking loop (a Kafka consumer's) in a thread beside the process's event loop.

    If it ends without a stop being requested, it failed (threading logs why): a process
    that cannot consume must not go on serving, so it requests shutdown and `join` says
    so, for the process to exit non-zero and be restarted by its supervisor.
    """

    def __init__(self, run: Callable[[Shutdown], None], shutdown: Shutdown, name: str) -> None:
        self._run, self._shutdown = run, shutdown
        self._crashed = threading.Event()
        self._thread = threading.Thread(target=self._guarded, name=name)

    def start(self) -> BackgroundLoop:
        self._thread.start()
        return self

    def join(self) -> bool:
        """Waits for the loop to end; True when it ended by failing."""
        self._thread.join()
        return self._crashed.is_set()

    def _guarded(self) -> None:
        try:
            self._run(self._shutdown)
        finally:
            if not self._shutdown.requested:
                self._crashed.set()
                self._shutdown.request()


@asynccontextmanager
async def in_background(
    run: Callable[[Shutdown], None], shutdown: Shutdown, name: str
) -> AsyncIterator[None]:
    """Runs a blocking loop beside the block; at its end asks the loop to stop and waits for
    it, and exits the process non-zero if the loop had failed."""
    loop = BackgroundLoop(run, shutdown, name).start()
    try:
        yield
    finally:
        shutdown.request()
        crashed = loop.join()
    if crashed:
        raise SystemExit(1)


async def until_set(event: threading.Event, shutdown: Shutdown, poll_seconds: float = 0.05) -> bool:
    """Waits for a thread's event; False when a stop was requested first."""
    while not (event.is_set() or shutdown.requested):
        await asyncio.sleep(poll_seconds)
    return event.is_set()

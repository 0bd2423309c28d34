"""Graceful shutdown: SIGINT/SIGTERM ask a process to finish its work and stop."""

from __future__ import annotations

import asyncio
import signal
import threading

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

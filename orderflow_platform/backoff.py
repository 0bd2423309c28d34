"""Exponential backoff between retries of something that is down, cut short by a shutdown."""

from __future__ import annotations

from typing import Protocol


class Interruptible(Protocol):
    """What a wait can be cut short by: a Shutdown, or a threading.Event."""

    def wait(self, timeout: float | None = None) -> bool: ...


class Backoff:
    def __init__(self, first_seconds: float = 0.5, max_seconds: float = 5.0) -> None:
        self._first, self._max = first_seconds, max_seconds
        self._next = first_seconds

    def wait(self, stop: Interruptible) -> None:
        """Waits the next delay (doubling up to the ceiling) or until a stop is requested."""
        stop.wait(self.next_delay())

    def next_delay(self) -> float:
        """The delay to wait now; the one after it is twice as long, up to the ceiling."""
        delay, self._next = self._next, min(self._next * 2, self._max)
        return delay

    def reset(self) -> None:
        self._next = self._first

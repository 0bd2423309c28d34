"""A stand-in for a replica's stream processor, for tests of an app's life."""

from __future__ import annotations

import threading

from orderflow_platform.shutdown import Shutdown


class FakeStream:
    """Runs until asked to stop; the test sets `assigned` when the replica's state would be
    rebuilt. What it does is said in a shared record of events."""

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.running = threading.Event()
        self.assigned = threading.Event()

    def run(self, shutdown: Shutdown) -> None:
        self.events.append("stream running")
        self.running.set()
        shutdown.wait()
        self.events.append("stream stopped")

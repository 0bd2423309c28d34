"""Group commit: many callers' writes to a database in one round trip.

Each caller submits one item and awaits its own result. Items that arrive while a
batch is being written wait for it to end and then go together in the next one, so
under load a batch grows with the round trip and when idle an item is written at once,
unless the writer lingers: a write no caller is waiting on (a record made in the
background) can wait a few milliseconds for others to share its commit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class GroupCommit(Generic[Item, Outcome]):
    """`write` takes a batch and returns one outcome per item, in order; when it raises,
    every caller of that batch gets the error."""

    def __init__(
        self,
        write: Callable[[Sequence[Item]], Awaitable[Sequence[Outcome]]],
        max_batch: int,
        linger_seconds: float = 0.0,
    ) -> None:
        self._write, self._max_batch, self._linger_seconds = write, max_batch, linger_seconds
        self._waiting: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self._writer: asyncio.Task[None] | None = None
        # Set when max_batch items wait: a lingering writer need not wait any longer.
        self._full = asyncio.Event()

    async def submit(self, item: Item) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if len(self._waiting) >= self._max_batch:
            self._full.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return await future

    async def _write_waiting(self) -> None:
        while self._waiting:
            if self._linger_seconds and len(self._waiting) < self._max_batch:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._linger_seconds):
                        await self._full.wait()
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                outcomes = await self._write([item for item, _ in batch])
            # Whatever went wrong is each caller's to handle, as if it had written alone.
            except Exception as error:  # noqa: BLE001
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
            else:
                # A caller cancelled meanwhile no longer waits; its item was written all the same.
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)

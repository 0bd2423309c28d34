"""Group commit: who shares a write, and when a lingering writer stops waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from orderflow_platform.group_commit import GroupCommit


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    async def write(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(0)
        return [item * 10 for item in items]


async def settle() -> None:
    """Lets every ready task run until none is left to start."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_items_that_come_while_a_batch_is_written_share_the_next_one() -> None:
    async def scenario() -> tuple[list[list[int]], list[int]]:
        recorder = Recorder()
        commit = GroupCommit(recorder.write, max_batch=10)
        first = asyncio.create_task(commit.submit(1))
        await settle()
        later = [asyncio.create_task(commit.submit(i)) for i in (2, 3)]
        results = await asyncio.gather(first, *later)
        return recorder.batches, results

    batches, results = asyncio.run(scenario())
    assert batches == [[1], [2, 3]], "an item alone is written at once"
    assert results == [10, 20, 30]


def test_a_lingering_writer_waits_for_others_and_stops_once_the_batch_is_full() -> None:
    async def scenario() -> list[list[int]]:
        recorder = Recorder()
        # A linger no test waits out: only a full batch can end it.
        commit = GroupCommit(recorder.write, max_batch=3, linger_seconds=600)
        first = asyncio.create_task(commit.submit(1))
        await settle()
        assert recorder.batches == [], "the first item waits for company"
        await asyncio.gather(first, *(commit.submit(i) for i in (2, 3)))
        return recorder.batches

    assert asyncio.run(scenario()) == [[1, 2, 3]]


def test_a_lingering_writer_writes_what_came_once_the_linger_is_over() -> None:
    async def scenario() -> list[list[int]]:
        recorder = Recorder()
        commit = GroupCommit(recorder.write, max_batch=100, linger_seconds=0.01)
        await asyncio.gather(*(commit.submit(i) for i in range(3)))
        return recorder.batches

    assert asyncio.run(scenario()) == [[0, 1, 2]]

"""A service app's life as orderflow_platform runs it: resources closed in the reverse of
their opening however the run ends, and a failed background loop ending the process non-zero."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest

from orderflow_platform import app as platform_app
from orderflow_platform.app import ServiceApp
from orderflow_platform.shutdown import Shutdown, in_background


class RecordingApp(ServiceApp):
    def __init__(self, fails: bool) -> None:
        super().__init__()
        self.events: list[str] = []
        self._fails = fails

    async def open(self, resources: AsyncExitStack) -> None:
        for name in ("pool", "lock"):
            self.events.append(f"open {name}")
            resources.callback(self.events.append, f"close {name}")

    async def run(self, shutdown: Shutdown) -> None:
        self.events.append("run")
        if self._fails:
            raise RuntimeError("broken")


@pytest.mark.parametrize("fails", [False, True])
def test_resources_close_in_reverse_order_however_the_run_ends(fails: bool) -> None:
    app = RecordingApp(fails)

    async def life() -> None:
        async with app:
            await app.run(Shutdown())

    if fails:
        with pytest.raises(RuntimeError):
            asyncio.run(life())
    else:
        asyncio.run(life())
    assert app.events == ["open pool", "open lock", "run", "close lock", "close pool"]


class FreezeCountingApp(ServiceApp):
    def __init__(self) -> None:
        super().__init__()
        self.frozen_while_running = 0

    async def run(self, shutdown: Shutdown) -> None:
        self.frozen_while_running = gc.get_freeze_count()


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_what_the_app_made_before_it_runs_is_left_out_of_garbage_collection() -> None:
    app = FreezeCountingApp()
    asyncio.run(platform_app._run(app, Shutdown()))
    assert app.frozen_while_running > 0


# The loop's exception is meant to reach threading's hook, which logs why it failed.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_background_loop_that_fails_stops_the_work_beside_it_and_exits_non_zero() -> None:
    shutdown = Shutdown()

    def failing_loop(_: Shutdown) -> None:
        raise RuntimeError("consumer lost")

    async def serve() -> None:
        async with in_background(failing_loop, shutdown, "failing"):
            await shutdown.wait_async()

    with pytest.raises(SystemExit) as exited:
        asyncio.run(serve())
    assert exited.value.code == 1


def test_a_background_loop_is_asked_to_stop_when_the_work_beside_it_ends() -> None:
    shutdown = Shutdown()

    def waiting_loop(stop: Shutdown) -> None:
        stop.wait()

    async def serve() -> None:
        async with in_background(waiting_loop, shutdown, "waiting"):
            await asyncio.sleep(0)

    asyncio.run(serve())
    assert shutdown.requested

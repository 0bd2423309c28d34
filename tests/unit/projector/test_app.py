"""The projector's app built with a fake loop: it projects beside the event loop until asked
to stop, and a loop that fails ends the process non-zero."""

from __future__ import annotations

import asyncio

import pytest

from orderflow_platform.shutdown import Shutdown
from projector.bootstrap import ProjectionApp
from projector.domain.model import Status
from tests.unit.projector.fakes import FakeReadModels, ProjectionLoop
from tests.unit.projector.test_projection import confirmed, placed

DEADLINE_SECONDS = 5.0


def test_the_app_projects_until_it_is_asked_to_stop() -> None:
    loop = ProjectionLoop([placed("o1"), confirmed("o1")], FakeReadModels())
    app = ProjectionApp(loop.run)
    shutdown = Shutdown()

    async def life() -> None:
        async with app:
            running = asyncio.create_task(app.run(shutdown))
            assert await asyncio.to_thread(loop.caught_up.wait, DEADLINE_SECONDS)
            assert not running.done()
            shutdown.request()
            await asyncio.wait_for(running, DEADLINE_SECONDS)

    asyncio.run(life())
    assert loop.models.orders["o1"].status is Status.CONFIRMED


# The loop's exception is meant to reach threading's hook, which logs why it failed.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_projection_that_fails_ends_the_app_non_zero() -> None:
    def failing(_: Shutdown) -> None:
        raise RuntimeError("read models unreachable")

    app = ProjectionApp(failing)

    async def life() -> None:
        async with app:
            await app.run(Shutdown())

    with pytest.raises(SystemExit) as exited:
        asyncio.run(life())
    assert exited.value.code == 1

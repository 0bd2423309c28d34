import asyncio
import signal
import subprocess
import sys
import textwrap

from orderflow_platform.shutdown import Shutdown

WORKER = textwrap.dedent(
    """
    from orderflow_platform.shutdown import Shutdown
    shutdown = Shutdown().install()
    print("ready", flush=True)
    units = 0
    while not shutdown.wait(0.01):
        units += 1
    print("drained", flush=True)
    """
)


def test_sigterm_lets_the_loop_finish_and_exit_cleanly() -> None:
    worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 0
    assert worker.stdout.read().strip() == "drained"


def test_async_waiters_wake_on_request() -> None:
    async def scenario() -> bool:
        shutdown = Shutdown()
        waiter = asyncio.create_task(shutdown.wait_async())
        await asyncio.sleep(0)
        shutdown.request()
        await asyncio.wait_for(waiter, timeout=5)
        return shutdown.requested

    assert asyncio.run(scenario())

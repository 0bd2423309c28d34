"""`python -m mail_catcher`: SMTP on MAIL_CATCHER_ADDRESS (127.0.0.1:2525), mail into
MAIL_CATCHER_DIR (var/mail), until SIGTERM. Mails older than MAIL_CATCHER_KEEP_HOURS (24)
are removed with their receipts, at start and every PRUNE_EVERY_SECONDS: a dev stack that
runs benchmarks otherwise gathers millions of files, and the catcher's file creation
slows as its folder grows."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import uvloop

from mail_catcher.mailbox import CatcherController, Mailbox
from orderflow_platform.logs import configure_logging, get_logger
from orderflow_platform.settings import load_settings
from orderflow_platform.shutdown import Shutdown

ROOT = Path(__file__).resolve().parent.parent
PRUNE_EVERY_SECONDS = 3600.0
# Files removed per turn on the mail thread, so a large backlog never holds up SMTP for long.
REMOVE_CHUNK = 1_000

log = get_logger()
T = TypeVar("T")


def on_loop(loop: asyncio.AbstractEventLoop, work: Callable[[], T]) -> T:
    """`work`'s result, run on the controller's event loop thread, where mail is kept."""

    async def run() -> T:
        return work()

    return asyncio.run_coroutine_threadsafe(run(), loop).result()


def prune_once(
    mailbox: Mailbox, loop: asyncio.AbstractEventLoop, kept_since: float, stopping: Callable[[], bool]
) -> int:
    """Removes the mails last written before `kept_since`, and their receipts, on `loop`'s
    thread a chunk at a time; returns how many."""
    expired = mailbox.expired(kept_since)
    removed: set[str] = set()
    for start in range(0, len(expired), REMOVE_CHUNK):
        if stopping():
            break
        chunk = expired[start : start + REMOVE_CHUNK]
        removed |= on_loop(loop, partial(mailbox.remove, chunk, kept_since))
    if removed:
        on_loop(loop, partial(mailbox.forget_receipts, removed))
    return len(removed)


def prune(mailbox: Mailbox, loop: asyncio.AbstractEventLoop, keep_seconds: float, shutdown: Shutdown) -> None:
    while True:
        removed = prune_once(mailbox, loop, time.time() - keep_seconds, lambda: shutdown.requested)
        if removed:
            log.info("old mail removed", mails=removed, kept_hours=keep_seconds / 3600)
        if shutdown.wait(PRUNE_EVERY_SECONDS):
            return


def main() -> None:
    configure_logging(load_settings().logging, service="mail_catcher")
    shutdown = Shutdown().install()
    host, port = os.environ.get("MAIL_CATCHER_ADDRESS", "127.0.0.1:2525").rsplit(":", 1)
    folder = Path(os.environ.get("MAIL_CATCHER_DIR", str(ROOT / "var" / "mail")))
    keep_seconds = float(os.environ.get("MAIL_CATCHER_KEEP_HOURS", "24")) * 3600
    mailbox = Mailbox(folder)
    controller = CatcherController(mailbox, loop=uvloop.new_event_loop(), hostname=host, port=int(port))
    controller.start()
    log.info("catching mail", address=f"{host}:{port}", folder=str(folder))
    pruner = threading.Thread(
        target=prune, args=(mailbox, controller.loop, keep_seconds, shutdown), name="prune", daemon=True
    )
    pruner.start()
    shutdown.wait()
    pruner.join()
    controller.stop()
    mailbox.close()


if __name__ == "__main__":
    main()

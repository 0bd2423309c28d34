"""`python -m mail_catcher`: SMTP on MAIL_CATCHER_ADDRESS (127.0.0.1:2525), mail into
MAIL_CATCHER_DIR (var/mail), until SIGTERM."""

from __future__ import annotations

import os
from pathlib import Path

import uvloop

from mail_catcher.mailbox import CatcherController, Mailbox
from orderflow_platform.logs import configure_logging, get_logger
from orderflow_platform.settings import load_settings
from orderflow_platform.shutdown import Shutdown

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    configure_logging(load_settings().logging, service="mail_catcher")
    shutdown = Shutdown().install()
    host, port = os.environ.get("MAIL_CATCHER_ADDRESS", "127.0.0.1:2525").rsplit(":", 1)
    folder = Path(os.environ.get("MAIL_CATCHER_DIR", str(ROOT / "var" / "mail")))
    mailbox = Mailbox(folder)
    controller = CatcherController(mailbox, loop=uvloop.new_event_loop(), hostname=host, port=int(port))
    controller.start()
    get_logger().info("catching mail", address=f"{host}:{port}", folder=str(folder))
    shutdown.wait()
    controller.stop()
    mailbox.close()


if __name__ == "__main__":
    main()

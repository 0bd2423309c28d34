"""`python -m notify_svc`: records outcomes as notices and delivers them, until SIGTERM."""

from __future__ import annotations

import asyncio

from notify_svc import bootstrap
from orderflow_platform.logs import configure_logging, get_logger
from orderflow_platform.metrics import serve_metrics
from orderflow_platform.settings import load_settings
from orderflow_platform.shutdown import BackgroundLoop, Shutdown


async def main() -> None:
    settings = load_settings()
    configure_logging(settings.logging, service="notify_svc")
    shutdown = Shutdown().install()
    serve_metrics(settings.metrics.port)
    # The Kafka loop blocks, so it runs beside the event loop that delivers.
    recorder = BackgroundLoop(bootstrap.recording_loop(settings).run, shutdown, "notify-recorder").start()
    async with bootstrap.outbox_pool(settings) as pool:
        sender, dlq = bootstrap.sender(settings, pool)
        get_logger().info("notifying", sinks=settings.notify.sinks)
        await sender.run(shutdown)
        dlq.close()
    if recorder.join():
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())

"""The one place where the notification service's real adapters are built."""

from __future__ import annotations

from contextlib import AsyncExitStack

from psycopg_pool import AsyncConnectionPool

from notify_svc.adapters.events import TOPICS, OutcomeDecoder
from notify_svc.adapters.postgres_outbox import PostgresOutbox
from notify_svc.adapters.sinks import ConsoleSink, EmailSink
from notify_svc.domain.model import RetryPolicy
from notify_svc.domain.ports import NotificationSink
from notify_svc.entrypoints.consumer import CONSUMER_NAME, OutcomeRecorder
from notify_svc.entrypoints.sender import Sender
from notify_svc.settings import NotifyServiceSettings
from orderflow_platform.app import ServiceApp
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.delivery import AcknowledgedProducer
from orderflow_platform.logs import get_logger
from orderflow_platform.shutdown import Shutdown, in_background
from orderflow_platform.stream.loop import StreamLoop
from orderflow_platform.stream.postgres_checkpoint import checkpointed_loop


def recording_loop(settings: NotifyServiceSettings) -> StreamLoop:
    recorder = OutcomeRecorder(
        OutcomeDecoder(clients.registry_client(settings.registry)),
        settings.notify.sinks,
        settings.notify.recipient_domain,
    )
    return checkpointed_loop(
        settings.kafka, settings.postgres.dsn, consumer_name=CONSUMER_NAME, topics=TOPICS, handler=recorder
    )


def sinks(settings: NotifyServiceSettings) -> dict[str, NotificationSink]:
    available: dict[str, NotificationSink] = {
        "console": ConsoleSink(),
        "email": EmailSink(settings.notify.smtp, settings.notify.sender),
    }
    return {name: available[name] for name in settings.notify.sinks}


def outbox_pool(settings: NotifyServiceSettings) -> AsyncConnectionPool:
    """Opened by the caller (`async with`)."""
    return AsyncConnectionPool(settings.postgres.dsn, min_size=1, max_size=4, timeout=5.0, open=False)


def sender(settings: NotifyServiceSettings, pool: AsyncConnectionPool) -> tuple[Sender, AcknowledgedProducer]:
    notify = settings.notify
    policy = RetryPolicy(notify.max_attempts, notify.retry_base_seconds, notify.retry_cap_seconds)
    dlq = AcknowledgedProducer(clients.producer(settings.kafka), "notifications-dlq")
    return Sender(PostgresOutbox(pool), sinks(settings), policy, dlq), dlq


class NotifyApp(ServiceApp):
    """Outcomes recorded as notices (a Kafka loop in a thread of its own) and delivered from
    the outbox (on the event loop). Entering opens the outbox's pool; leaving closes the DLQ
    producer, then the pool."""

    def __init__(self, settings: NotifyServiceSettings) -> None:
        super().__init__()
        self._settings = settings
        self._sender: Sender | None = None

    async def open(self, resources: AsyncExitStack) -> None:
        pool = await resources.enter_async_context(outbox_pool(self._settings))
        self._sender, dlq = sender(self._settings, pool)
        resources.callback(dlq.close)

    async def run(self, shutdown: Shutdown) -> None:
        assert self._sender is not None, "entered first"
        # The Kafka loop blocks, so it runs beside the event loop that delivers.
        async with in_background(recording_loop(self._settings).run, shutdown, "notify-recorder"):
            get_logger().info("notifying", sinks=self._settings.notify.sinks)
            await self._sender.run(shutdown)

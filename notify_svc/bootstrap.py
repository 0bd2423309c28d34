"""The one place where the notification service's real adapters are built."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    asynccontextmanager,
    closing,
)
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from notify_svc.adapters.events import TOPICS, OutcomeDecoder
from notify_svc.adapters.postgres_outbox import PostgresOutbox
from notify_svc.adapters.sinks import ConsoleSink, EmailSink
from notify_svc.domain.model import RetryPolicy
from notify_svc.domain.ports import DeadLetters, NotificationSink, Outbox
from notify_svc.entrypoints.consumer import CONSUMER_NAME, OutcomeRecorder
from notify_svc.entrypoints.sender import Sender
from notify_svc.settings import NotifyServiceSettings
from orderflow_platform import postgres_pool
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
    return postgres_pool.async_pool(settings.postgres.dsn, max_size=4)


@asynccontextmanager
async def outbox(settings: NotifyServiceSettings) -> AsyncIterator[Outbox]:
    async with outbox_pool(settings) as pool:
        yield PostgresOutbox(pool)


def policy(settings: NotifyServiceSettings) -> RetryPolicy:
    notify = settings.notify
    return RetryPolicy(notify.max_attempts, notify.retry_base_seconds, notify.retry_cap_seconds)


def dead_letters(settings: NotifyServiceSettings) -> closing[AcknowledgedProducer]:
    return closing(AcknowledgedProducer(clients.producer(settings.kafka), "notifications-dlq"))


@dataclass(frozen=True)
class NotifyParts:
    """What the notification service runs on: the real adapters from `app`, fakes in tests."""

    outbox: Callable[[], AbstractAsyncContextManager[Outbox]]
    # Opened once the outbox is; leaving closes it (flushing what it parks) before the outbox.
    dead_letters: Callable[[], AbstractContextManager[DeadLetters]]
    sinks: Callable[[], Mapping[str, NotificationSink]]
    policy: RetryPolicy
    # The blocking loop recording outcomes as notices, built when the app runs.
    recording: Callable[[], Callable[[Shutdown], None]]


class NotificationApp(ServiceApp):
    """Outcomes recorded as notices (a Kafka loop in a thread of its own) and delivered from
    the outbox (on the event loop). Entering opens the outbox's pool; leaving closes the DLQ
    producer, then the pool."""

    def __init__(self, parts: NotifyParts) -> None:
        super().__init__()
        self._parts = parts
        self._sinks: Mapping[str, NotificationSink] = {}
        self._sender: Sender | None = None

    async def open(self, resources: AsyncExitStack) -> None:
        parts = self._parts
        notices = await resources.enter_async_context(parts.outbox())
        dlq = resources.enter_context(parts.dead_letters())
        self._sinks = parts.sinks()
        self._sender = Sender(notices, self._sinks, parts.policy, dlq)

    async def run(self, shutdown: Shutdown) -> None:
        assert self._sender is not None, "entered first"
        # The Kafka loop blocks, so it runs beside the event loop that delivers.
        async with in_background(self._parts.recording(), shutdown, "notify-recorder"):
            get_logger().info("notifying", sinks=list(self._sinks))
            await self._sender.run(shutdown)


def app(settings: NotifyServiceSettings) -> NotificationApp:
    parts = NotifyParts(
        outbox=lambda: outbox(settings),
        dead_letters=lambda: dead_letters(settings),
        sinks=lambda: sinks(settings),
        policy=policy(settings),
        recording=lambda: recording_loop(settings).run,
    )
    return NotificationApp(parts)

"""The one place where the notification service's real adapters are built."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

from notify_svc.adapters.events import TOPICS, OutcomeDecoder, ReceivedOutcome
from notify_svc.adapters.postgres_outbox import PostgresOutbox
from notify_svc.adapters.sinks import ConsoleSink, EmailSink
from notify_svc.domain.model import RetryPolicy
from notify_svc.domain.ports import NotificationSink
from notify_svc.entrypoints.consumer import CONSUMER_NAME, OutcomeRecorder
from notify_svc.entrypoints.sender import Sender
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.checkpointed import CheckpointedLoop
from orderflow_platform.kafka.delivery import AcknowledgedProducer
from orderflow_platform.settings import Settings


def recording_loop(settings: Settings) -> CheckpointedLoop[ReceivedOutcome]:
    recorder = OutcomeRecorder(
        OutcomeDecoder(clients.registry_client(settings.registry)),
        settings.notify.sinks,
        settings.notify.recipient_domain,
    )
    return CheckpointedLoop(
        settings.kafka, settings.postgres.dsn, consumer_name=CONSUMER_NAME, topics=TOPICS, handler=recorder
    )


def sinks(settings: Settings) -> dict[str, NotificationSink]:
    available: dict[str, NotificationSink] = {
        "console": ConsoleSink(),
        "email": EmailSink(settings.notify.smtp, settings.notify.sender),
    }
    return {name: available[name] for name in settings.notify.sinks}


def outbox_pool(settings: Settings) -> AsyncConnectionPool:
    """Opened by the caller (`async with`)."""
    return AsyncConnectionPool(settings.postgres.dsn, min_size=1, max_size=4, timeout=5.0, open=False)


def sender(settings: Settings, pool: AsyncConnectionPool) -> tuple[Sender, AcknowledgedProducer]:
    notify = settings.notify
    policy = RetryPolicy(notify.max_attempts, notify.retry_base_seconds, notify.retry_cap_seconds)
    dlq = AcknowledgedProducer(clients.producer(settings.kafka), "notifications-dlq")
    return Sender(PostgresOutbox(pool), sinks(settings), policy, dlq), dlq

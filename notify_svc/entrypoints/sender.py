"""Delivers the outbox's due notices until shutdown, and parks the ones given up."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

import psycopg
from prometheus_client import Counter

from notify_svc import handlers
from notify_svc.domain.model import RetryPolicy
from notify_svc.domain.ports import DeadLetters, Delivered, NotificationSink, Outbox, Pending, Result
from orderflow_platform.logs import get_logger
from orderflow_platform.shutdown import Shutdown
from orderflow_platform.topics import NOTIFICATIONS_DLQ

log = get_logger(__name__)
SENT = Counter("orderflow_notifications_sent_total", "Notices delivered", ["sink", "outcome"])
FAILURES = Counter("orderflow_notification_failures_total", "Failed delivery attempts", ["sink"])
RETRIES = Counter("orderflow_notification_retries_total", "Deliveries scheduled again", ["sink"])
PARKED = Counter("orderflow_notifications_parked_total", "Notices given up and parked", ["sink"])
IDLE_SECONDS = 0.05


class Sender:
    def __init__(
        self,
        outbox: Outbox,
        sinks: Mapping[str, NotificationSink],
        policy: RetryPolicy,
        dlq: DeadLetters,
    ) -> None:
        self._outbox, self._sinks, self._policy, self._dlq = outbox, sinks, policy, dlq

    async def run(self, shutdown: Shutdown) -> None:
        """One delivery loop per sink, so a slow or failing sink holds up no other."""
        await asyncio.gather(*(self._deliver(sink, shutdown) for sink in self._sinks))
        for sink in self._sinks.values():
            await sink.close()

    async def _deliver(self, sink: str, shutdown: Shutdown) -> None:
        while not shutdown.requested:
            try:
                results = await handlers.deliver_due(
                    self._outbox,
                    sink,
                    self._sinks,
                    policy=self._policy,
                    now=lambda: datetime.now(UTC),
                    park=self._park,
                )
            except psycopg.OperationalError as error:
                log.warning("outbox unavailable", error=str(error))
                results = []
            for result in results:
                self._count(result)
            if not results:
                await asyncio.sleep(IDLE_SECONDS)

    @staticmethod
    def _count(result: Result) -> None:
        pending = result.pending
        if isinstance(result, Delivered):
            SENT.labels(pending.sink, pending.notification.kind).inc()
            return
        FAILURES.labels(pending.sink).inc()
        (RETRIES if result.retry_at else PARKED).labels(pending.sink).inc()
        log.warning(
            "delivery failed",
            order_id=pending.notification.order_id,
            sink=pending.sink,
            error=result.error,
            retry_at=str(result.retry_at),
        )

    async def _park(self, pending: Pending, reason: str) -> None:
        topic, value = await self._outbox.source_of(pending)
        headers = [
            ("dlq_reason", reason.encode()),
            ("dlq_topic", topic.encode()),
            ("dlq_sink", pending.sink.encode()),
        ]
        await self._dlq.send(NOTIFICATIONS_DLQ, pending.notification.order_id.encode(), value, headers)

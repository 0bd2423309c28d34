"""Outcomes in, notices recorded in the outbox: exactly once, with the consumer's offsets."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from confluent_kafka import Message

from notify_svc import handlers
from notify_svc.adapters import postgres_outbox
from notify_svc.adapters.events import OutcomeDecoder, ReceivedOutcome

CONSUMER_NAME = "notify_svc"


class OutcomeRecorder:
    """The BatchHandler the checkpointed stream loop runs."""

    def __init__(self, decoder: OutcomeDecoder, sinks: Sequence[str], recipient_domain: str) -> None:
        self._decoder, self._sinks, self._domain = decoder, list(sinks), recipient_domain

    def decode(self, message: Message) -> ReceivedOutcome:
        return self._decoder.decode(message)

    def write(self, conn: psycopg.Connection, batch: Sequence[ReceivedOutcome]) -> None:
        postgres_outbox.record(
            conn,
            [
                (notice, sink, received.topic, received.value)
                for received in batch
                for notice, sink in handlers.notices_for(received.outcome, self._sinks, self._domain)
            ],
        )

"""The live projection: Kafka records in, read-model rows out, exactly once."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from confluent_kafka import Message

from projector import handlers
from projector.adapters.events import EventDecoder
from projector.adapters.postgres_read_models import LIVE_SCHEMA, PostgresReadModels
from projector.domain.model import Event

CONSUMER_NAME = "projector"


class Projection:
    """The BatchHandler the checkpointed stream loop runs: decode each record, project the batch."""

    def __init__(self, decoder: EventDecoder, schema: str = LIVE_SCHEMA) -> None:
        self._decoder, self._schema = decoder, schema

    def decode(self, message: Message) -> Event:
        return self._decoder.decode(message)

    def write(self, conn: psycopg.Connection, batch: Sequence[Event]) -> None:
        handlers.project(batch, PostgresReadModels(conn, self._schema))

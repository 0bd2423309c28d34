"""An order's audit trail: its events as the audit sink wrote them into schema `audit`.

Kafka Connect's JDBC sink keeps one table per topic (dots become underscores), keyed by
the record's topic, partition and offset. The tables whose events carry an `order_id`
(orders.created and the outcomes) make an order's trail, ordered by record time.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from orderflow_platform.settings import PostgresSettings

SCHEMA = "audit"


@dataclass(frozen=True)
class AuditEntry:
    time: datetime  # the record's Kafka timestamp, in UTC
    topic: str
    partition: int
    offset: int
    event_type: str

    def line(self) -> str:
        at = self.time.isoformat(sep=" ", timespec="milliseconds")
        return f"{at}Z  {self.topic}[{self.partition}]@{self.offset}  {self.event_type}"


def trail(connection: psycopg.Connection[tuple[Any, ...]], order_id: str) -> list[AuditEntry]:
    """Every audited event of the order, oldest first."""
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = %s AND column_name = 'order_id' ORDER BY table_name",
            (SCHEMA,),
        )
    ]
    if not tables:
        return []
    per_table = [
        sql.SQL(
            "SELECT kafka_timestamp AS time, __connect_topic AS topic, __connect_partition AS partition,"
            " __connect_offset AS offset, event_type"
            " FROM {} WHERE order_id = %(order_id)s"
        ).format(sql.Identifier(SCHEMA, str(table)))
        for table in tables
    ]
    query = sql.SQL(" UNION ALL ").join(per_table) + sql.SQL(" ORDER BY 1, 2, 3, 4")
    with connection.cursor(row_factory=class_row(AuditEntry)) as cursor:
        return cursor.execute(query, {"order_id": order_id}).fetchall()


def command(settings: PostgresSettings, order_id: str) -> int:
    """`orderflow audit <order_id>`: the trail, one event a line; 1 when there is none."""
    with psycopg.connect(settings.dsn) as connection:
        entries = trail(connection, order_id)
    for entry in entries:
        print(entry.line())
    if not entries:
        print(f"no audited events of order {order_id}", file=sys.stderr)
    return 0 if entries else 1

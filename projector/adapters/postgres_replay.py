"""Fresh read-model tables for a replay, and the swap that puts them in service.

The copies live in their own schema under the live tables' names (and, through
CREATE TABLE ... LIKE, their index names), so moving them into `public` leaves a schema
identical to the migrated one. The swap is one transaction: readers see the old tables
until it commits and the new ones after, never a half-built model.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from orderflow_platform.stream.checkpoints import CheckpointStore
from orderflow_platform.stream.records import Position
from projector.adapters.postgres_read_models import LIVE_SCHEMA, TABLES

REPLAY_SCHEMA = "projector_replay"
RETIRED_SCHEMA = "projector_retired"


def _table(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def drop_schema(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def prepare(conn: psycopg.Connection, schema: str = REPLAY_SCHEMA) -> None:
    """Empty copies of the read-model tables in `schema` (what it held before is dropped)."""
    with conn.transaction():
        drop_schema(conn, schema)
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for table in TABLES:
            conn.execute(
                sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                    _table(schema, table), _table(LIVE_SCHEMA, table)
                )
            )


def swap(checkpoints: CheckpointStore[psycopg.Connection], next_offsets: dict[Position, int]) -> None:
    """Puts the replayed tables in service, with the offsets they were built up to.

    The consumer's checkpoints are locked first, as the live loop locks them before it
    writes, so the two cannot deadlock; the live loop then finds its offsets moved and
    resumes from the replay's.
    """
    with checkpoints.transaction() as tx:
        tx.checkpoints.lock()
        conn = tx.connection
        drop_schema(conn, RETIRED_SCHEMA)
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(RETIRED_SCHEMA)))
        for table in TABLES:
            move = "ALTER TABLE {} SET SCHEMA {}"
            conn.execute(sql.SQL(move).format(_table(LIVE_SCHEMA, table), sql.Identifier(RETIRED_SCHEMA)))
            conn.execute(sql.SQL(move).format(_table(REPLAY_SCHEMA, table), sql.Identifier(LIVE_SCHEMA)))
        tx.checkpoints.replace(next_offsets)
        drop_schema(conn, RETIRED_SCHEMA)
        drop_schema(conn, REPLAY_SCHEMA)


def row_counts(conn: psycopg.Connection, schema: str = LIVE_SCHEMA) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_table(schema, table))).fetchone()
        counts[table] = row[0] if row else 0
    return counts

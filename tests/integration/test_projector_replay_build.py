"""Replay's bulk build (staging, then one statement per table) leaves exactly the rows the
live projector's batched upserts leave, for any log: repeated orders and outcomes, outcomes
that overtake their order, outcomes whose order never comes, changelogs with many values
per key, and values Postgres refuses. Both run against the real Postgres, into schemas of
their own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from psycopg import sql

from orderflow_platform.settings import Settings
from orderflow_platform.stream.postgres_checkpoints import refusals
from orderflow_platform.stream.reading import bisect
from projector import handlers
from projector.adapters import postgres_replay
from projector.adapters.postgres_read_models import TABLES, PostgresReadModels
from projector.adapters.postgres_replay import StagedEvents
from projector.domain.model import (
    Event,
    MinuteCounted,
    OrderDecided,
    OrderLine,
    OrderPlaced,
    Status,
    StockChanged,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
# Few ids, so that events collide on them; now and then a NUL, which Postgres refuses in text.
ORDER_IDS = st.sampled_from(["o1", "o2", "o3"])
USERS = st.sampled_from(["u1", "u2", "u1", "u2", "refused\x00"])
SKUS = st.sampled_from(["S1", "S2"])
TIMES = st.integers(0, 100).map(lambda s: START + timedelta(seconds=s))

LINES = st.lists(
    st.builds(OrderLine, SKUS, st.integers(1, 5), st.integers(0, 10_000)), min_size=1, max_size=3
).map(tuple)
PLACED = st.builds(
    OrderPlaced, ORDER_IDS, USERS, LINES, st.integers(0, 10**6), st.sampled_from(["k1", "k2"]), TIMES,
    st.sampled_from(["USD", "EUR"]),
)  # fmt: skip
DECIDED = st.builds(
    OrderDecided, ORDER_IDS, USERS, st.sampled_from([Status.CONFIRMED, Status.REJECTED]),
    st.sampled_from(["", "out of stock"]), TIMES,
)  # fmt: skip
STOCK = st.builds(StockChanged, SKUS, st.integers(0, 50), st.integers(0, 50), TIMES, ORDER_IDS)
MINUTES = st.builds(
    MinuteCounted, st.integers(0, 2).map(lambda m: START + timedelta(minutes=m)), st.integers(0, 99)
)
LOGS = st.lists(st.one_of(PLACED, DECIDED, STOCK, MINUTES), max_size=30)


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.postgres.dsn, autocommit=True) as connection:
        yield connection


def _live(conn: psycopg.Connection, schema: str, log: Sequence[Event], batch: int) -> None:
    """As the live projector writes: in batches, a batch Postgres refuses written in halves."""
    models = PostgresReadModels(conn, schema)

    def project(events: Sequence[Event]) -> None:
        with refusals(), conn.transaction():
            handlers.project(events, models)

    for start in range(0, len(log), batch):
        bisect(log[start : start + batch], project, lambda *_: None)


def _replayed(conn: psycopg.Connection, dsn: str, schema: str, log: Sequence[Event], batch: int) -> None:
    postgres_replay.create_staging(conn, schema)
    staged = StagedEvents(conn, schema)
    numbered = list(enumerate(log))
    for start in range(0, len(numbered), batch):
        staged.append(numbered[start : start + batch])
    postgres_replay.build(lambda: psycopg.connect(dsn), schema)


def _rows(conn: psycopg.Connection, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: conn.execute(
            sql.SQL("SELECT * FROM {}.{} ORDER BY 1, 2").format(sql.Identifier(schema), sql.Identifier(table))
        ).fetchall()
        for table in TABLES
    }


@examples(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(log=LOGS, live_batch=st.integers(1, 8), staged_batch=st.integers(1, 30))
def test_the_bulk_build_leaves_the_rows_the_live_upserts_leave(
    settings: Settings, conn: psycopg.Connection, log: list[Event], live_batch: int, staged_batch: int
) -> None:
    live, replayed = (f"test_{name}_{uuid.uuid4().hex[:8]}" for name in ("live", "replayed"))
    try:
        postgres_replay.prepare(conn, live)
        postgres_replay.prepare(conn, replayed)
        _live(conn, live, log, live_batch)
        _replayed(conn, settings.postgres.dsn, replayed, log, staged_batch)
        assert _rows(conn, replayed) == _rows(conn, live)
    finally:
        postgres_replay.drop_schema(conn, live)
        postgres_replay.drop_schema(conn, replayed)


STRUCTURE = """
SELECT t.relname, 'constraint', c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
WHERE t.relnamespace = %(schema)s::regnamespace AND t.relname = ANY(%(tables)s)
UNION ALL
SELECT t.relname, 'index', i.relname, replace(pg_get_indexdef(i.oid), %(schema)s || '.', '')
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relnamespace = %(schema)s::regnamespace AND t.relname = ANY(%(tables)s)
ORDER BY 1, 2, 3
"""


def _structure(conn: psycopg.Connection, schema: str) -> list[tuple[Any, ...]]:
    """The tables' constraints and indexes, named and defined, without the schema's name."""
    return conn.execute(STRUCTURE, {"schema": schema, "tables": list(TABLES)}).fetchall()


def test_the_built_tables_have_the_migrated_tables_indexes_and_constraints(
    settings: Settings, conn: psycopg.Connection
) -> None:
    replayed = f"test_replayed_{uuid.uuid4().hex[:8]}"
    log: list[Event] = [
        OrderPlaced("o1", "u1", (OrderLine("S1", 1, 100),), 100, "k1", START, "USD"),
        OrderDecided("o1", "u1", Status.CONFIRMED, "", START),
        StockChanged("S1", 9, 1, START, "o1"),
        MinuteCounted(START, 1),
    ]
    try:
        postgres_replay.prepare(conn, replayed)
        _replayed(conn, settings.postgres.dsn, replayed, log, len(log))
        built, migrated = _structure(conn, replayed), _structure(conn, "public")
        assert {row[0] for row in built} == set(TABLES)
        assert {"orders_pkey", "orders_user_id_created_at_order_id_idx"} <= {row[2] for row in built}
        assert built == migrated
    finally:
        postgres_replay.drop_schema(conn, replayed)

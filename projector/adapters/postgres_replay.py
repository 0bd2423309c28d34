"""Fresh read-model tables for a replay, how they are filled, and the swap that puts them in service.

The copies live in their own schema under the live tables' names (and, through
CREATE TABLE ... LIKE, their index names), so moving them into `public` leaves a schema
identical to the migrated one. The swap is one transaction: readers see the old tables
until it commits and the new ones after, never a half-built model.

A replay does not upsert batch by batch as the live projector does: that costs about ten
index descents per order (each ON CONFLICT probes before it inserts, and an outcome
rewrites its order's row). It appends every event, in the order it was read, to staging
tables without indexes (COPY), and then builds each table in one statement that applies
`domain.model.fold`'s rules to the whole log at once: an order's first `OrderCreated` and
first outcome win, a SKU's latest level and a minute's latest count win. The rows equal
the ones the live upserts leave (tests/integration/test_projector_replay_build.py compares
them over generated logs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
from psycopg import sql

from orderflow_platform.stream.checkpoints import CheckpointStore
from orderflow_platform.stream.postgres_checkpoints import refusals
from orderflow_platform.stream.reading import bisect
from orderflow_platform.stream.records import Position
from projector.adapters.postgres_read_models import LIVE_SCHEMA, TABLES
from projector.domain.model import Event, MinuteCounted, OrderDecided, OrderPlaced, StockChanged

REPLAY_SCHEMA = "projector_replay"
RETIRED_SCHEMA = "projector_retired"

# `seq` is the event's place in the replay's reading order, which keeps each partition's
# order: "first" and "latest" below are by it. The columns' types and NOT NULLs are the read
# models', so a value Postgres refuses is refused here, where its event can be skipped alone.
STAGING: dict[str, tuple[tuple[str, str], ...]] = {
    "staged_placed": (
        ("seq", "bigint"), ("order_id", "text"), ("user_id", "text"), ("total_cents", "bigint"),
        ("idempotency_key", "text"), ("created_at", "timestamptz"), ("currency", "text"),
    ),
    "staged_lines": (
        ("seq", "bigint"), ("order_id", "text"), ("line_no", "integer"), ("sku", "text"),
        ("quantity", "integer"), ("unit_price_cents", "bigint"),
    ),
    "staged_decided": (
        ("seq", "bigint"), ("order_id", "text"), ("user_id", "text"), ("status", "text"),
        ("reason", "text"), ("decided_at", "timestamptz"),
    ),
    "staged_stock": (
        ("seq", "bigint"), ("sku", "text"), ("on_hand", "bigint"), ("reserved", "bigint"),
        ("updated_at", "timestamptz"), ("cause_id", "text"),
    ),
    "staged_minutes": (("seq", "bigint"), ("minute", "timestamptz"), ("orders", "bigint")),
}  # fmt: skip

# Each stage's jobs run `workers` at a time, each on a connection of its own; a job is its
# statements ({s} is the replay schema), longest first. The second stage reads the tables
# the first makes: each order's first OrderCreated and first outcome.
BUILD_STAGES: tuple[tuple[tuple[str, ...], ...], ...] = (
    (
        ("""CREATE UNLOGGED TABLE {s}.first_placed AS
            SELECT DISTINCT ON (order_id) * FROM {s}.staged_placed ORDER BY order_id, seq""",),
        ("""CREATE UNLOGGED TABLE {s}.first_decided AS
            SELECT DISTINCT ON (order_id) * FROM {s}.staged_decided ORDER BY order_id, seq""",),
        ("""INSERT INTO {s}.stock_levels (sku, on_hand, reserved, updated_at, cause_id)
            SELECT DISTINCT ON (sku) sku, on_hand, reserved, updated_at, cause_id
            FROM {s}.staged_stock ORDER BY sku, seq DESC""",),
        ("""INSERT INTO {s}.orders_per_minute (minute, orders)
            SELECT DISTINCT ON (minute) minute, orders FROM {s}.staged_minutes
            ORDER BY minute, seq DESC""",),
    ),
    (
        (
            # An order whose OrderCreated came keeps its user and figures whatever its outcome says.
            """INSERT INTO {s}.orders (order_id, user_id, status, reason, total_cents, idempotency_key,
                                       created_at, decided_at, currency)
               SELECT p.order_id, p.user_id, coalesce(d.status, 'PENDING'), coalesce(d.reason, ''),
                      p.total_cents, p.idempotency_key, p.created_at, d.decided_at, p.currency
               FROM {s}.first_placed p LEFT JOIN {s}.first_decided d USING (order_id)""",
            # An outcome whose OrderCreated never came: the row the outcome alone makes live.
            """INSERT INTO {s}.orders (order_id, user_id, status, reason, decided_at)
               SELECT d.order_id, d.user_id, d.status, d.reason, d.decided_at
               FROM {s}.first_decided d
               WHERE NOT EXISTS (SELECT FROM {s}.first_placed p WHERE p.order_id = d.order_id)""",
        ),
        ("""INSERT INTO {s}.order_lines (order_id, line_no, sku, quantity, unit_price_cents)
            SELECT l.order_id, l.line_no, l.sku, l.quantity, l.unit_price_cents
            FROM {s}.staged_lines l JOIN {s}.first_placed p ON p.seq = l.seq""",),
        ("""INSERT INTO {s}.order_status_history (order_id, status, reason, at)
            SELECT order_id, 'PENDING', '', created_at FROM {s}.first_placed
            UNION ALL
            SELECT order_id, status, reason, decided_at FROM {s}.first_decided""",),
    ),
)  # fmt: skip
BUILD_SETTINGS = {
    # The sorts of the whole log (above, and the indexes' builds) take a fraction of the
    # time in memory.
    "work_mem": "256MB",
    "maintenance_work_mem": "256MB",
    # `orderflow replay` builds with a job per core (`workers`); Postgres's parallel workers
    # on top of them only contend for the same cores (a build of the dev stack's read
    # models: 17.5-19.7 s with them, 15.0-15.7 s without).
    "max_parallel_workers_per_gather": "0",
    "max_parallel_maintenance_workers": "0",
}
# The read-model tables' indexes, with the constraints (primary keys) they back: dropped
# while the tables fill and built afterwards, one sorted build each instead of a descent
# per row.
INDEXES = """
SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid), c.conname, c.contype
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = t.oid
WHERE t.relnamespace = %s::regnamespace AND t.relname = ANY(%s)
"""
TABLE_SIZES = "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relnamespace = %s::regnamespace"
# How a constraint takes over the index built for it.
CONSTRAINT_USING_INDEX = {"p": "PRIMARY KEY", "u": "UNIQUE"}


@dataclass(frozen=True)
class _Index:
    table: str
    name: str
    definition: str
    # The constraint the index backs, if any: its name and pg_constraint.contype.
    constraint: str | None
    constraint_type: str | None


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


def create_staging(conn: psycopg.Connection, schema: str = REPLAY_SCHEMA) -> None:
    """Empty staging tables in `schema`, which `prepare` made. Unlogged: nobody reads them
    but `build`, and a replay that dies starts over anyway. Their text compares as bytes,
    as the read models' keys do (migration 0006): the build's sorts are several times
    faster so."""
    with conn.transaction():
        for table, columns in STAGING.items():
            conn.execute(
                sql.SQL("CREATE UNLOGGED TABLE {} ({})").format(
                    _table(schema, table),
                    sql.SQL(", ").join(
                        sql.SQL("{} {}{} NOT NULL").format(
                            sql.Identifier(name),
                            sql.SQL(type_),
                            sql.SQL(' COLLATE "C"' if type_ == "text" else ""),
                        )
                        for name, type_ in columns
                    ),
                )
            )


class StagedEvents:
    """The replay's events in the staging tables of the replay schema; several processes
    may append at once."""

    def __init__(self, conn: psycopg.Connection, schema: str = REPLAY_SCHEMA) -> None:
        self._conn, self._schema = conn, schema

    def append(self, events: Sequence[tuple[int, Event]]) -> int:
        """Stages the events, each with its place in the reading order; returns how many
        Postgres refused (the live projector parks those). Staging does not depend on
        batching, so a refused batch is staged in halves until the refused events are alone."""
        refused: list[tuple[int, Event]] = []

        def append_all(batch: Sequence[tuple[int, Event]]) -> None:
            with refusals():
                self._append_all(batch)

        bisect(events, append_all, lambda event, _: refused.append(event))
        return len(refused)

    def _append_all(self, events: Sequence[tuple[int, Event]]) -> None:
        """Stages the events in one transaction."""
        rows: dict[str, list[tuple[object, ...]]] = {table: [] for table in STAGING}
        for seq, event in events:
            match event:
                case OrderPlaced():
                    rows["staged_placed"].append(
                        (
                            seq,
                            event.order_id,
                            event.user_id,
                            event.total_cents,
                            event.idempotency_key,
                            event.created_at,
                            event.currency,
                        )
                    )
                    rows["staged_lines"].extend(
                        (seq, event.order_id, n, line.sku, line.quantity, line.unit_price_cents)
                        for n, line in enumerate(event.lines, start=1)
                    )
                case OrderDecided():
                    status = event.status.value
                    rows["staged_decided"].append(
                        (seq, event.order_id, event.user_id, status, event.reason, event.decided_at)
                    )
                case StockChanged():
                    rows["staged_stock"].append(
                        (seq, event.sku, event.on_hand, event.reserved, event.updated_at, event.cause_id)
                    )
                case MinuteCounted():
                    rows["staged_minutes"].append((seq, event.minute, event.orders))
        with self._conn.transaction():
            for table, table_rows in rows.items():
                if table_rows:
                    self._copy(table, table_rows)

    def _copy(self, table: str, rows: list[tuple[object, ...]]) -> None:
        # Binary: psycopg formats a row about five times faster than as text.
        statement = sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(_table(self._schema, table))
        with self._conn.cursor().copy(statement) as copy:
            copy.set_types([type_ for _, type_ in STAGING[table]])
            for row in rows:
                copy.write_row(row)


def build(connect: Callable[[], psycopg.Connection], schema: str = REPLAY_SCHEMA, workers: int = 2) -> None:
    """Fills the schema's read-model tables from everything staged, `workers` jobs at a time.

    The tables fill without their indexes; each index is then built as a job of its own
    (a table's several indexes at once: CREATE INDEX takes a lock that shares), and the
    constraints last take over the indexes built for them.
    """
    with connect() as conn, conn.transaction():
        indexes = [_Index(*row) for row in conn.execute(INDEXES, (schema, list(TABLES))).fetchall()]
        for index in indexes:
            if index.constraint is None:
                conn.execute(sql.SQL("DROP INDEX {}").format(_table(schema, index.name)))
            else:
                drop = sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}")
                conn.execute(drop.format(_table(schema, index.table), sql.Identifier(index.constraint)))
    with ThreadPoolExecutor(workers) as pool:
        for stage in BUILD_STAGES:
            jobs = [
                [sql.SQL(statement).format(s=sql.Identifier(schema)) for statement in job] for job in stage
            ]
            list(pool.map(lambda statements: _run(connect, statements), jobs))
        with connect() as conn:
            sizes: dict[str, int] = dict(conn.execute(TABLE_SIZES, (schema,)).fetchall())
        # The largest tables' indexes first, so that the longest builds start first.
        indexes.sort(key=lambda index: -sizes.get(index.table, 0))
        list(pool.map(lambda index: _run(connect, [sql.SQL(index.definition)]), indexes))
    with connect() as conn, conn.transaction():
        for index in indexes:
            if index.constraint is not None:
                add = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}")
                kind = sql.SQL(CONSTRAINT_USING_INDEX[str(index.constraint_type)])
                table, name = _table(schema, index.table), sql.Identifier(index.constraint)
                conn.execute(add.format(table, name, kind, sql.Identifier(index.name)))


def _run(connect: Callable[[], psycopg.Connection], statements: Sequence[sql.SQL | sql.Composed]) -> None:
    """A build job, in one transaction of its own."""
    with connect() as conn, conn.transaction():
        for setting, value in BUILD_SETTINGS.items():
            conn.execute(sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(setting), sql.Literal(value)))
        for statement in statements:
            conn.execute(statement)


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
            _carry_storage_parameters(conn, table)
            move = "ALTER TABLE {} SET SCHEMA {}"
            conn.execute(sql.SQL(move).format(_table(LIVE_SCHEMA, table), sql.Identifier(RETIRED_SCHEMA)))
            conn.execute(sql.SQL(move).format(_table(REPLAY_SCHEMA, table), sql.Identifier(LIVE_SCHEMA)))
        tx.checkpoints.replace(next_offsets)
        drop_schema(conn, RETIRED_SCHEMA)
        drop_schema(conn, REPLAY_SCHEMA)


def _carry_storage_parameters(conn: psycopg.Connection, table: str) -> None:
    """Gives the replayed table the live one's storage parameters (the orders' fillfactor,
    migration 0008), which `CREATE TABLE ... LIKE` does not copy. Set after the build, so
    they shape the pages written from now on, and the replayed rows stay packed."""
    row = conn.execute(
        "SELECT reloptions FROM pg_class WHERE oid = %s::regclass",
        (_table(LIVE_SCHEMA, table).as_string(conn),),
    ).fetchone()
    if row and row[0]:
        options = sql.SQL(", ").join(sql.SQL(option) for option in row[0])
        conn.execute(sql.SQL("ALTER TABLE {} SET ({})").format(_table(REPLAY_SCHEMA, table), options))


def row_counts(conn: psycopg.Connection, schema: str = LIVE_SCHEMA) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_table(schema, table))).fetchone()
        counts[table] = row[0] if row else 0
    return counts

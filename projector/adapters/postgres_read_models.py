"""The read models in Postgres (tables from migrations/versions/*_0002_read_models.py).

Each change set is one statement over arrays (unnest), so a batch of thousands of
events costs a handful of round trips. The schema is a parameter: the live tables are in
`public`, and replay builds copies of them in another schema before swapping them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from projector.domain.model import MinuteCounted, OrderDecided, OrderPlaced, StockChanged

LIVE_SCHEMA = "public"
TABLES = ("orders", "order_lines", "order_status_history", "stock_levels", "orders_per_minute")

# An order is placed once: a duplicate OrderCreated, or one arriving after another with
# its order_id, leaves the row and its lines as they are.
PLACE = """
WITH new_orders AS (
    INSERT INTO {s}.orders AS o
        (order_id, user_id, status, total_cents, idempotency_key, created_at, currency)
    SELECT id, usr, 'PENDING', total, idem, created, cur
    FROM unnest(%(order_id)s::text[], %(user_id)s::text[], %(total_cents)s::bigint[],
                %(idempotency_key)s::text[], %(created_at)s::timestamptz[], %(currency)s::text[])
         AS x(id, usr, total, idem, created, cur)
    ON CONFLICT (order_id) DO UPDATE
        SET user_id = EXCLUDED.user_id, total_cents = EXCLUDED.total_cents,
            idempotency_key = EXCLUDED.idempotency_key, created_at = EXCLUDED.created_at,
            currency = EXCLUDED.currency
        WHERE o.created_at IS NULL
    RETURNING o.order_id, o.created_at
), new_lines AS (
    INSERT INTO {s}.order_lines (order_id, line_no, sku, quantity, unit_price_cents)
    SELECT id, line_no, sku, qty, price
    FROM unnest(%(line_order_id)s::text[], %(line_line_no)s::int[], %(line_sku)s::text[],
                %(line_quantity)s::int[], %(line_unit_price_cents)s::bigint[])
         AS l(id, line_no, sku, qty, price)
    WHERE id IN (SELECT order_id FROM new_orders)
)
INSERT INTO {s}.order_status_history (order_id, status, at)
SELECT order_id, 'PENDING', created_at FROM new_orders
ON CONFLICT DO NOTHING
"""
# The row may not exist yet (the outcome overtook its OrderCreated): create it with what
# the outcome knows, and PLACE fills in the rest.
DECIDE = """
WITH decided AS (
    INSERT INTO {s}.orders AS o (order_id, user_id, status, reason, decided_at)
    SELECT * FROM unnest(%(order_id)s::text[], %(user_id)s::text[], %(status)s::text[], %(reason)s::text[],
                         %(decided_at)s::timestamptz[])
    ON CONFLICT (order_id) DO UPDATE
        SET status = EXCLUDED.status, reason = EXCLUDED.reason, decided_at = EXCLUDED.decided_at
        WHERE o.decided_at IS NULL
    RETURNING o.order_id, o.status, o.reason, o.decided_at
)
INSERT INTO {s}.order_status_history (order_id, status, reason, at)
SELECT * FROM decided
ON CONFLICT DO NOTHING
"""
SET_STOCK = """
INSERT INTO {s}.stock_levels (sku, on_hand, reserved, updated_at, cause_id)
SELECT * FROM unnest(%(sku)s::text[], %(on_hand)s::bigint[], %(reserved)s::bigint[],
                     %(updated_at)s::timestamptz[], %(cause_id)s::text[])
ON CONFLICT (sku) DO UPDATE
    SET on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved,
        updated_at = EXCLUDED.updated_at, cause_id = EXCLUDED.cause_id
"""

# The aggregator's count of a minute (metrics.order.rate) replaces the row's.
COUNT_MINUTES = """
INSERT INTO {s}.orders_per_minute (minute, orders)
SELECT * FROM unnest(%(minute)s::timestamptz[], %(orders)s::bigint[])
ON CONFLICT (minute) DO UPDATE SET orders = EXCLUDED.orders
"""


@dataclass(frozen=True)
class _Line:
    order_id: str
    line_no: int
    sku: str
    quantity: int
    unit_price_cents: int


def _columns(rows: Sequence[object], *names: str, prefix: str = "") -> dict[str, list[object]]:
    """Query parameters as one array per attribute, for unnest."""
    return {prefix + name: [getattr(row, name) for row in rows] for name in names}


class PostgresReadModels:
    """ReadModels over one connection, inside whatever transaction the caller has open."""

    def __init__(self, conn: psycopg.Connection, schema: str = LIVE_SCHEMA) -> None:
        self._conn, self._schema = conn, sql.Identifier(schema)

    def _run(self, query: str, params: dict[str, list[object]]) -> None:
        self._conn.execute(sql.SQL(query).format(s=self._schema), params)

    def place(self, orders: Sequence[OrderPlaced]) -> None:
        if not orders:
            return
        lines = [
            _Line(o.order_id, n, line.sku, line.quantity, line.unit_price_cents)
            for o in orders
            for n, line in enumerate(o.lines, start=1)
        ]
        order_columns = ("order_id", "user_id", "total_cents", "idempotency_key", "created_at", "currency")
        line_columns = ("order_id", "line_no", "sku", "quantity", "unit_price_cents")
        self._run(PLACE, _columns(orders, *order_columns) | _columns(lines, *line_columns, prefix="line_"))

    def decide(self, decisions: Sequence[OrderDecided]) -> None:
        if decisions:
            self._run(DECIDE, _columns(decisions, "order_id", "user_id", "status", "reason", "decided_at"))

    def set_stock(self, levels: Sequence[StockChanged]) -> None:
        if levels:
            self._run(SET_STOCK, _columns(levels, "sku", "on_hand", "reserved", "updated_at", "cause_id"))

    def count_minutes(self, counts: Sequence[MinuteCounted]) -> None:
        if counts:
            self._run(COUNT_MINUTES, _columns(counts, "minute", "orders"))

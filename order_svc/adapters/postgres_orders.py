"""Order queries over the projector's read models (tables orders and order_lines)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from psycopg_pool import AsyncConnectionPool

from order_svc.adapters.postgres_ledger import pooled_connection
from order_svc.domain.model import OrderLine
from order_svc.domain.queries import OrderView, PagePosition, Status

# Rows whose OrderCreated is not projected yet (only an outcome is known) are not shown.
COLUMNS = """
SELECT order_id, user_id, total_cents, currency, status, reason, created_at,
  coalesce(decided_at, created_at)
FROM orders
"""
GET = COLUMNS + "WHERE order_id = %(order_id)s AND created_at IS NOT NULL"
LIST = (
    COLUMNS
    + """WHERE user_id = %(user_id)s AND created_at IS NOT NULL
  AND (%(after_at)s::timestamptz IS NULL OR (created_at, order_id) < (%(after_at)s, %(after_id)s))
ORDER BY created_at DESC, order_id DESC
LIMIT %(limit)s
"""
)
LINES = """
SELECT order_id, sku, quantity, unit_price_cents FROM order_lines
WHERE order_id = ANY(%(order_ids)s) ORDER BY order_id, line_no
"""


class PostgresOrderQueries:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def get(self, order_id: str) -> OrderView | None:
        orders = await self._orders(GET, {"order_id": order_id})
        return orders[0] if orders else None

    async def list_for_user(self, user_id: str, limit: int, after: PagePosition | None) -> list[OrderView]:
        return await self._orders(
            LIST,
            {
                "user_id": user_id,
                "limit": limit,
                "after_at": after.created_at if after else None,
                "after_id": after.order_id if after else None,
            },
        )

    async def _orders(self, query: str, params: dict[str, Any]) -> list[OrderView]:
        async with pooled_connection(self._pool, "read models") as conn:
            rows = await (await conn.execute(query, params)).fetchall()
            ids = [row[0] for row in rows]
            lines: dict[str, list[OrderLine]] = defaultdict(list)
            for order_id, sku, quantity, price in await (
                await conn.execute(LINES, {"order_ids": ids})
            ).fetchall():
                lines[order_id].append(OrderLine(sku, quantity, price))
        return [
            OrderView(
                order_id,
                user_id,
                tuple(lines[order_id]),
                total,
                currency,
                Status(status),
                reason,
                created,
                updated,
            )
            for order_id, user_id, total, currency, status, reason, created, updated in rows
        ]

"""Stock levels as the projector's read model holds them (table `stock_levels`).

GetStock answers from here, like every query (DESIGN.md §1); the model trails
`inventory.stock` by the projector's lag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg_pool import AsyncConnectionPool

from inventory_svc.domain.ports import Unavailable
from inventory_svc.domain.stock import Stock


@dataclass(frozen=True)
class StockLevelRow:
    sku: str
    on_hand: int
    reserved: int
    updated_at: datetime

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


async def stock_level(pool: AsyncConnectionPool, sku: str) -> StockLevelRow | None:
    """The SKU's latest projected level, or None when the projector has not seen it."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT sku, on_hand, reserved, updated_at FROM stock_levels WHERE sku = %s", (sku,)
        )
        row = await cursor.fetchone()
    return StockLevelRow(*row) if row else None


class PostgresStockLevels:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def level(self, sku: str) -> Stock | None:
        try:
            row = await stock_level(self._pool, sku)
        except psycopg.OperationalError as error:  # includes the pool's own timeout
            raise Unavailable(str(error)) from error
        return Stock(row.sku, row.on_hand, row.reserved) if row else None

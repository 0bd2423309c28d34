"""Stock levels projected from inventory.stock, read back with the query the services share."""

from __future__ import annotations

import asyncio

import httpx
from psycopg_pool import AsyncConnectionPool

from inventory_svc.adapters.postgres_stock import StockLevelRow, stock_level
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually

ENVOY = "http://127.0.0.1:8080"


def projected(settings: Settings, sku: str) -> StockLevelRow | None:
    async def read() -> StockLevelRow | None:
        async with AsyncConnectionPool(settings.postgres.dsn, min_size=1, open=False) as pool:
            return await stock_level(pool, sku)

    return asyncio.run(read())


def test_stock_set_through_inventory_reaches_the_read_model(settings: Settings, unique: str) -> None:
    sku = f"S{unique.upper()}"
    put = httpx.put(f"{ENVOY}/v1/inventory/{sku}", json={"quantity": 7}, timeout=30)
    assert put.status_code == 200, put.text
    level = eventually(lambda: projected(settings, sku))
    assert (level.on_hand, level.reserved, level.available) == (7, 0, 7)
    assert projected(settings, f"NONE{unique.upper()}") is None

"""Stock and an order's outcome through Envoy's REST, with both inventory replicas behind it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually
from tests.integration.inventory_helpers import Inventory

ENVOY = "http://127.0.0.1:8080"


@pytest.fixture
def inventory(settings: Settings) -> Iterator[Inventory]:
    client = Inventory(settings)
    yield client
    client.close()


def stock(sku: str) -> dict[str, object]:
    reply = httpx.get(f"{ENVOY}/v1/inventory/{sku}", timeout=10)
    assert reply.status_code == 200, reply.text
    body: dict[str, object] = reply.json()
    return body


def test_stock_set_over_rest_is_reserved_by_an_order_placed_over_rest(
    inventory: Inventory, unique: str
) -> None:
    sku = f"R{unique.upper()}"
    put = httpx.put(f"{ENVOY}/v1/inventory/{sku}", json={"quantity": 4}, timeout=30)
    assert put.status_code == 200, put.text
    assert put.json() == {"sku": sku, "on_hand": 4, "reserved": 0, "available": 4}
    order = {
        "user_id": f"user-{unique}",
        "items": [{"sku": sku, "quantity": 3, "unit_price_cents": 100}],
        "total_cents": 300,
    }
    created = httpx.post(f"{ENVOY}/v1/orders", json=order, timeout=15)
    assert created.status_code == 200, created.text
    order_id = created.json()["order_id"]
    assert inventory.settle([order_id])[order_id].confirmed
    # Either replica may answer; each follows the stock changelog.
    eventually(lambda: stock(sku) == {"sku": sku, "on_hand": 4, "reserved": 3, "available": 1}, 30)


def test_stock_errors_over_rest(unique: str) -> None:
    unknown = httpx.get(f"{ENVOY}/v1/inventory/NONE-{unique.upper()}", timeout=10)
    assert unknown.status_code == 404
    invalid = httpx.put(f"{ENVOY}/v1/inventory/bad%20sku", json={"quantity": -1}, timeout=10)
    assert invalid.status_code == 400
    violations = [v["field"] for v in invalid.json()["details"][0]["field_violations"]]
    assert violations == ["sku", "quantity"]

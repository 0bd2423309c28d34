"""Orders read back through Envoy's REST from the projector's read models: an order goes
PENDING -> CONFIRMED, or REJECTED with the reason; a user's orders list newest first."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg

from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually

ENVOY = "http://127.0.0.1:8080"
FINAL = {"ORDER_STATUS_CONFIRMED", "ORDER_STATUS_REJECTED"}


def place(user_id: str, sku: str, quantity: int) -> str:
    body = {"user_id": user_id, "items": [{"sku": sku, "quantity": quantity, "unit_price_cents": 10}]}
    created = httpx.post(f"{ENVOY}/v1/orders", json={**body, "total_cents": 10 * quantity}, timeout=15)
    assert created.status_code == 200, created.text
    order_id: str = created.json()["order_id"]
    return order_id


def decided(order_id: str) -> dict[str, Any] | None:
    reply = httpx.get(f"{ENVOY}/v1/orders/{order_id}", timeout=10)
    if reply.status_code == 404:  # not projected yet
        return None
    assert reply.status_code == 200, reply.text
    order: dict[str, Any] = reply.json()
    assert order["status"] in {"ORDER_STATUS_PENDING", *FINAL}
    return order if order["status"] in FINAL else None


def statuses(settings: Settings, order_id: str) -> list[str]:
    with psycopg.connect(settings.postgres.dsn) as conn:
        rows = conn.execute(
            "SELECT status FROM order_status_history WHERE order_id = %s ORDER BY at", (order_id,)
        ).fetchall()
    return [row[0] for row in rows]


def test_orders_are_confirmed_or_rejected_and_listed(settings: Settings, unique: str) -> None:
    sku, user = f"Q{unique.upper()}", f"user-{unique}"
    put = httpx.put(f"{ENVOY}/v1/inventory/{sku}", json={"quantity": 2}, timeout=30)
    assert put.status_code == 200, put.text
    fits = place(user, sku, 2)
    confirmed = eventually(lambda: decided(fits))
    assert confirmed["status"] == "ORDER_STATUS_CONFIRMED"
    too_many = place(user, sku, 1)
    rejected = eventually(lambda: decided(too_many))
    assert rejected["status"] == "ORDER_STATUS_REJECTED" and sku in rejected["reason"]
    # GetOrder shows the latest status; the history shows the way there.
    assert statuses(settings, fits) == ["PENDING", "CONFIRMED"]

    first = httpx.get(f"{ENVOY}/v1/users/{user}/orders", params={"page_size": 1}, timeout=10).json()
    token = first["next_page_token"]
    second = httpx.get(f"{ENVOY}/v1/users/{user}/orders", params={"page_size": 1, "page_token": token}).json()
    assert [o["order_id"] for o in first["orders"] + second["orders"]] == [too_many, fits]
    assert second["next_page_token"] == ""


def test_unknown_and_malformed_order_ids() -> None:
    assert httpx.get(f"{ENVOY}/v1/orders/{uuid.uuid4()}", timeout=10).status_code == 404
    malformed = httpx.get(f"{ENVOY}/v1/orders/not-an-id", timeout=10)
    assert malformed.status_code == 400 and "order_id" in malformed.text

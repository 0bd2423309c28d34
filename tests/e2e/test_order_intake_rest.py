"""REST through Envoy's gRPC-JSON transcoder, as curl or any HTTP client would use it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from devstack import control

ENVOY = "http://127.0.0.1:8080"
ITEM = {"sku": "SKU-1", "quantity": 2, "unit_price_cents": 250}


def post_order(body: Any, raw: str | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body)
    return httpx.post(
        f"{ENVOY}/v1/orders", content=content, headers={"content-type": "application/json"}, timeout=15
    )


def test_create_order_returns_the_id_and_pending(unique: str) -> None:
    body = {"user_id": f"user-{unique}", "items": [ITEM], "total_cents": 500, "idempotency_key": unique}
    created = post_order(body)
    assert created.status_code == 200, created.text
    reply = created.json()
    assert reply["status"] == "ORDER_STATUS_PENDING"
    uuid.UUID(reply["order_id"])
    assert post_order(body).json() == reply


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [ITEM], "total_cents": 500}, "user_id"),
        ({"user_id": "u", "items": [], "total_cents": 0}, "items"),
        ({"user_id": "u", "items": [{**ITEM, "quantity": 0}], "total_cents": 0}, "items[0].quantity"),
        ({"user_id": "u", "items": [{**ITEM, "quantity": -2}], "total_cents": -500}, "items[0].quantity"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 499}, "total_cents"),
        ({"user_id": "u" * 5000, "items": [ITEM], "total_cents": 500}, "user_id"),
        ({"user_id": "u", "items": [ITEM] * 101, "total_cents": 500 * 101}, "items"),
        ({"user_id": "u", "items": [{**ITEM, "quantity": "two"}], "total_cents": 500}, "quantity"),
        ({"user_id": True, "items": [ITEM], "total_cents": 500}, "user_id"),
        ({"user_id": "u", "items": [{**ITEM, "quantity": 2.5}], "total_cents": 500}, "items[0].quantity"),
        ({"user_id": "u", "items": "SKU-1", "total_cents": 500}, "items"),
        ({"user_id": ["u"], "items": [ITEM], "total_cents": 500}, "user_id"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "coupon": "X"}, "coupon"),
        ({"user_id": "u", "items": [{**ITEM, "qty": 1}], "total_cents": 500}, "qty"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "currency": "eur"}, "currency"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "currency": "ABC"}, "currency"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "currency": ""}, "currency"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "currency": None}, "currency"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "currency": ["EUR"]}, "currency"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "contact_email": "ann"}, "contact_email"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "contact_email": "a@x.test"}, "contact_email"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "contact_email": None}, "contact_email"),
        ({"user_id": "u", "items": [ITEM], "total_cents": 500, "contactEmail": 7}, "contactEmail"),
    ],
)
def test_invalid_input_is_400_naming_the_field(body: dict[str, Any], field: str) -> None:
    refused = post_order(body)
    assert refused.status_code == 400, refused.text
    assert field in refused.text


def test_malformed_json_is_400_not_500() -> None:
    refused = post_order(None, raw='{"user_id": "u", "items": [')
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == 3  # google.rpc.Code.INVALID_ARGUMENT


def test_a_body_over_one_mebibyte_is_refused_before_it_reaches_the_service() -> None:
    refused = post_order(None, raw='{"user_id": "' + "u" * 1_100_000 + '"}')
    assert refused.status_code == 413, refused.text


def test_an_unknown_route_is_404() -> None:
    assert httpx.get(f"{ENVOY}/v1/nothing-here", timeout=15).status_code == 404


def test_order_svc_down_is_503_with_a_json_status_then_recovers(unique: str) -> None:
    body = {"user_id": f"user-{unique}", "items": [ITEM], "total_cents": 500}
    control.stop("order_svc")
    try:
        refused = post_order(body)
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == 14  # google.rpc.Code.UNAVAILABLE
    finally:
        control.up(["order_svc"])
    assert post_order(body).status_code == 200

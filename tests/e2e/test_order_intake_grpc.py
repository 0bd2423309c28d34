"""The running order_svc of the stack, as a person would reach it: grpcurl through reflection."""

from __future__ import annotations

import json
import subprocess
import uuid

from devstack import control
from devstack.spec import ROOT

GRPCURL = str(ROOT / "var" / "bin" / "grpcurl")
ORDER_SVC = "127.0.0.1:50051"
CREATE = "orderflow.order.v1.OrderService/CreateOrder"


def grpcurl(*args: str, body: dict[str, object] | None = None) -> subprocess.CompletedProcess[str]:
    data = ["-d", json.dumps(body)] if body is not None else []
    return subprocess.run(
        [GRPCURL, "-plaintext", "-max-time", "10", *data, *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_reflection_lists_the_service_and_health() -> None:
    listed = grpcurl(ORDER_SVC, "list")
    assert listed.returncode == 0, listed.stderr
    assert {"orderflow.order.v1.OrderService", "grpc.health.v1.Health"} <= set(listed.stdout.split())
    health = grpcurl(ORDER_SVC, "grpc.health.v1.Health/Check")
    assert json.loads(health.stdout) == {"status": "SERVING"}


def keyed_order(unique: str) -> dict[str, object]:
    return {
        "user_id": f"user-{unique}",
        "items": [{"sku": "SKU-1", "quantity": 2, "unit_price_cents": 250}],
        "total_cents": 500,
        "idempotency_key": f"key-{unique}",
    }


def test_create_order_through_reflection_and_a_retry_with_the_same_key(unique: str) -> None:
    body = keyed_order(unique)
    first = grpcurl(ORDER_SVC, CREATE, body=body)
    assert first.returncode == 0, first.stderr
    created = json.loads(first.stdout)
    assert created["status"] == "ORDER_STATUS_PENDING"
    uuid.UUID(created["orderId"])
    assert json.loads(grpcurl(ORDER_SVC, CREATE, body=body).stdout) == created


def test_invalid_order_names_its_fields() -> None:
    refused = grpcurl(ORDER_SVC, CREATE, body={"user_id": "", "items": []})
    assert refused.returncode != 0
    assert "InvalidArgument" in refused.stderr
    assert "user_id" in refused.stderr
    assert '"field": "items"' in refused.stderr


def test_a_retry_after_order_svc_restarts_returns_the_same_order(unique: str) -> None:
    body = keyed_order(unique)
    before = json.loads(grpcurl(ORDER_SVC, CREATE, body=body).stdout)
    control.restart("order_svc")
    assert json.loads(grpcurl(ORDER_SVC, CREATE, body=body).stdout) == before

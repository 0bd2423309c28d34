"""The OpenAPI document declares exactly the bounds the services enforce (tools/openapiv2.yaml
says them to the generator; the domain modules enforce them), so neither drifts alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from devstack.spec import ROOT
from inventory_svc.domain import requests as stock_rules
from order_svc.domain import model as order_rules

DOCUMENT: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "orderflow.swagger.yaml").read_text())
DEFINITIONS: dict[str, Any] = DOCUMENT["definitions"]


def schema(definition: str, field: str) -> dict[str, Any]:
    found: dict[str, Any] = DEFINITIONS[definition]["properties"][field]
    return found


def parameter(path: str, method: str, name: str) -> dict[str, Any]:
    parameters = DOCUMENT["paths"][path][method]["parameters"]
    found: dict[str, Any] = next(p for p in parameters if p["name"] == name)
    return found


def full(pattern: re.Pattern[str]) -> str:
    """The domain matches with fullmatch; a JSON Schema pattern needs its anchors."""
    return f"^{pattern.pattern}$"


def test_order_fields_are_bounded_as_order_svc_checks_them() -> None:
    user_id = schema("v1CreateOrderRequest", "user_id")
    assert (user_id["pattern"], user_id["maxLength"]) == (
        full(order_rules.USER_ID),
        order_rules.MAX_USER_ID_LENGTH,
    )
    assert parameter("/v1/users/{user_id}/orders", "get", "user_id")["pattern"] == full(order_rules.USER_ID)
    assert schema("v1CreateOrderRequest", "items")["maxItems"] == order_rules.MAX_ITEMS
    assert schema("v1CreateOrderRequest", "items")["minItems"] == 1
    assert set(DEFINITIONS["v1CreateOrderRequest"]["required"]) == {"user_id", "items"}
    key = schema("v1CreateOrderRequest", "idempotency_key")
    assert key["maxLength"] == order_rules.MAX_IDEMPOTENCY_KEY_LENGTH
    assert key["pattern"] == full(order_rules.IDEMPOTENCY_KEY).replace(r"\x21-\x7e", "!-~")
    assert schema("v1OrderItem", "sku")["pattern"] == full(order_rules.SKU)
    assert schema("v1OrderItem", "quantity")["minimum"] == 1
    assert schema("v1OrderItem", "quantity")["maximum"] == order_rules.MAX_QUANTITY
    assert set(DEFINITIONS["v1OrderItem"]["required"]) == {"sku", "quantity"}
    assert parameter("/v1/orders/{order_id}", "get", "order_id")["format"] == "uuid"


def test_currency_and_contact_email_are_declared_as_order_svc_checks_them() -> None:
    currency = schema("v1CreateOrderRequest", "currency")
    assert (currency["pattern"], currency["default"]) == (
        full(order_rules.CURRENCY),
        order_rules.DEFAULT_CURRENCY,
    )
    assert schema("v1Order", "currency")["pattern"] == full(order_rules.CURRENCY)
    # The pattern is looser than the service (not every three letters are a code), never stricter.
    assert all(order_rules.CURRENCY.fullmatch(code) for code in order_rules.KNOWN_CURRENCIES)
    assert schema("v1CreateOrderRequest", "contact_email")["format"] == "email"


@pytest.mark.parametrize(
    ("field", "highest"),
    [
        (("v1OrderItem", "unit_price_cents"), order_rules.MAX_UNIT_PRICE_CENTS),
        (
            ("v1CreateOrderRequest", "total_cents"),
            order_rules.MAX_ITEMS * order_rules.MAX_QUANTITY * order_rules.MAX_UNIT_PRICE_CENTS,
        ),
    ],
)
def test_int64_ranges_are_patterns_over_their_decimal_strings(field: tuple[str, str], highest: int) -> None:
    pattern = re.compile(schema(*field)["pattern"])
    for accepted in (0, 1, 7, highest // 3, highest):
        assert pattern.fullmatch(str(accepted)), accepted
    for refused in ("-1", str(highest + 1), "01", "", "1.5"):
        assert not pattern.fullmatch(refused), refused


def test_stock_fields_are_bounded_as_inventory_svc_checks_them() -> None:
    assert stock_rules.SKU.pattern == order_rules.SKU.pattern
    for method in ("get", "put"):
        assert parameter("/v1/inventory/{sku}", method, "sku")["pattern"] == full(stock_rules.SKU)
    quantity = schema("InventoryServiceSetStockBody", "quantity")
    # The generator writes 1e+08: a YAML 1.2 float, which PyYAML (YAML 1.1) reads as text.
    assert float(quantity["maximum"]) == stock_rules.MAX_ON_HAND
    # "0 or more": the generator drops a minimum of 0, so it is "more than -1".
    assert (quantity["minimum"], quantity["exclusiveMinimum"]) == (-1, True)
    assert DEFINITIONS["InventoryServiceSetStockBody"]["required"] == ["quantity"]

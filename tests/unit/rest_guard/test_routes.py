import pytest

from rest_guard.__main__ import ROUTES
from rest_guard.routes import check

ORDER = (
    b'{"user_id": "u", "items": [{"sku": "SKU-1", "quantity": 1, "unit_price_cents": 5}], "total_cents": 5}'
)


def test_only_routes_with_a_body_are_guarded() -> None:
    assert sorted((r.verb, r.request_type.DESCRIPTOR.name) for r in ROUTES) == [
        ("POST", "CreateOrderRequest"),
        ("PUT", "SetStockRequest"),
    ]
    assert check(ROUTES, "GET", "/v1/orders/anything", b"") is None


def test_a_well_formed_body_passes() -> None:
    assert check(ROUTES, "POST", "/v1/orders", ORDER) is None
    assert check(ROUTES, "PUT", "/v1/inventory/SKU-1", b'{"quantity": 3}') is None


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"user_id": "u", "coupon": "X"}', '"coupon"'),
        (b'{"items": [{"sku": "A", "qty": 1}]}', '"qty"'),
        (b'{"user_id": ["u"]}', "user_id"),
        (b'{"user_id": ', "not JSON"),
    ],
)
def test_unknown_fields_and_wrong_shapes_are_named(body: bytes, named: str) -> None:
    problem = check(ROUTES, "POST", "/v1/orders", body)
    assert problem is not None
    assert named in problem

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


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"null", "the body must be a JSON object (a CreateOrderRequest), not null"),
        (b'{"items": [1, 2]}', "items[0]: must be an object (OrderItem), not the number 1"),
        (b'{"items": [{"quantity": true}]}', "items[0].quantity: must be a whole number, not true"),
        (b'{"items": [{"quantity": 2.5}]}', "items[0].quantity: must be a whole number, not the number 2.5"),
        (b'{"items": [{"quantity": 4294967296}]}', "items[0].quantity: must be between -2147483648 and"),
        (b'{"total_cents": "1e3"}', 'total_cents: must be a whole number, not the string "1e3"'),
        (b"[" * 5000 + b"]" * 5000, "the body is nested too deeply to be a request"),
        (b'{"total_cents": null}', "total_cents: must not be null; leave the field out"),
        (b'{"items": [null]}', "items[0]: must not be null"),
        (b'{"total_cents": NaN}', "the body is not JSON: NaN is not a JSON value"),
        (b'{"user_id": "\xff"}', "the body is not JSON: it is not UTF-8 text"),
    ],
)
def test_wrong_shapes_are_told_in_the_requests_terms(body: bytes, problem: str) -> None:
    found = check(ROUTES, "POST", "/v1/orders", body)
    assert found is not None
    assert found.startswith(problem), found


def test_values_protobuf_accepts_pass_the_shape_check() -> None:
    item = b'{"sku": "A", "quantity": "3", "unit_price_cents": 2.0}'
    body = b'{"userId": "u", "items": [' + item + b'], "total_cents": "0"}'
    assert check(ROUTES, "POST", "/v1/orders", body) is None
    assert check(ROUTES, "PUT", "/v1/inventory/SKU-1", b"{}") is None  # the service says quantity is required

"""HTTP semantics of the REST surface through Envoy: routes, methods, and bodies that are
wrong in shape rather than in value (issue 9, defect 6). Every error is a JSON
google.rpc.Status, like the services' own."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

ENVOY = "http://127.0.0.1:8080"
ORDER_ID = "6f1c2b9e-3a4d-4e5f-8a7b-9c0d1e2f3a4b"
PYTHON_WORDS = ("Error", "NoneType", "object is not", "'int'", "'dict'", "Traceback")


def request(method: str, path: str, body: str | None = None) -> httpx.Response:
    headers = {"content-type": "application/json"} if body is not None else {}
    return httpx.request(method, f"{ENVOY}{path}", content=body, headers=headers, timeout=15)


def assert_status_body(reply: httpx.Response, code: int) -> str:
    assert reply.headers["content-type"] == "application/json", reply.headers
    body = reply.json()
    assert set(body) <= {"code", "message", "details"}, body
    assert body["code"] == code, body
    message: str = body["message"]
    return message


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/orders", "POST"),
        ("PUT", "/v1/orders", "POST"),
        ("DELETE", "/v1/orders", "POST"),
        ("PATCH", "/v1/orders", "POST"),
        ("OPTIONS", "/v1/orders", "POST"),
        ("TRACE", "/v1/orders", "POST"),
        ("PROPFIND", "/v1/orders", "POST"),
        ("POST", f"/v1/orders/{ORDER_ID}", "GET"),
        ("DELETE", f"/v1/orders/{ORDER_ID}", "GET"),
        ("PUT", "/v1/users/alice/orders", "GET"),
        ("POST", "/v1/inventory/SKU-1", "GET, PUT"),
        ("DELETE", "/v1/inventory/SKU-1", "GET, PUT"),
    ],
)
def test_a_wrong_method_is_405_with_allow_and_a_json_status(method: str, path: str, allow: str) -> None:
    reply = request(method, path, "{}" if method in ("PUT", "POST", "PATCH") else None)
    assert reply.status_code == 405, reply.text
    assert reply.headers["allow"] == allow
    message = assert_status_body(reply, 12)  # UNIMPLEMENTED: no such method here
    assert method in message and allow in message


def test_head_is_405_with_allow_and_no_body() -> None:
    reply = request("HEAD", f"/v1/orders/{ORDER_ID}")
    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET"
    assert reply.content == b""


def test_an_http_1_0_caller_is_served() -> None:
    # httpx speaks only HTTP/1.1 and 2, so the request is written by hand.
    with socket.create_connection(("127.0.0.1", 8080), timeout=15) as connection:
        connection.sendall(b"GET /v1/orders HTTP/1.0\r\nHost: localhost\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):  # HTTP/1.0: the server closes after answering
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 405"), answer
    assert b"\r\nallow: POST" in head
    assert json.loads(body)["code"] == 12


@pytest.mark.parametrize(
    "path", ["/v1/nothing-here", "/v1/ordersx", f"/v1/orders/{ORDER_ID}/lines", "/v1/inventory/", "/"]
)
def test_an_unknown_route_is_404_with_a_json_status(path: str) -> None:
    reply = request("GET", path)
    assert reply.status_code == 404, reply.text
    assert path in assert_status_body(reply, 12)


def test_a_body_field_contradicting_the_path_is_refused(unique: str) -> None:
    in_path, in_body = f"P{unique.upper()}", f"B{unique.upper()}"
    reply = request("PUT", f"/v1/inventory/{in_path}", json.dumps({"sku": in_body, "quantity": 5}))
    assert reply.status_code == 400, reply.text
    assert "sku" in assert_status_body(reply, 3)
    assert request("GET", f"/v1/inventory/{in_body}").status_code == 404
    assert request("GET", f"/v1/inventory/{in_path}").status_code == 404


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{}", "quantity: is required"),
        ('{"quantity": null}', "quantity: must not be null; leave the field out to not set it"),
    ],
)
def test_set_stock_without_quantity_is_400_naming_it(unique: str, body: str, says: str) -> None:
    sku = f"Q{unique.upper()}"
    reply = request("PUT", f"/v1/inventory/{sku}", body)
    assert reply.status_code == 400, reply.text
    assert assert_status_body(reply, 3) == says
    assert request("GET", f"/v1/inventory/{sku}").status_code == 404


def test_set_stock_to_zero_is_still_allowed(unique: str) -> None:
    sku = f"Z{unique.upper()}"
    reply = request("PUT", f"/v1/inventory/{sku}", '{"quantity": 0}')
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"sku": sku, "on_hand": 0, "reserved": 0, "available": 0}


@pytest.mark.parametrize(("path", "method"), [("/v1/orders", "POST"), ("/v1/inventory/SKU-1", "PUT")])
def test_a_5000_deep_body_is_400(path: str, method: str) -> None:
    reply = request(method, path, "[" * 5000 + "]" * 5000)
    assert reply.status_code == 400, reply.text
    assert "nested too deeply" in assert_status_body(reply, 3)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("null", "the body must be a JSON object (a CreateOrderRequest), not null"),
        ("[1, 2]", "the body must be a JSON object (a CreateOrderRequest), not an array"),
        ("5", "the body must be a JSON object (a CreateOrderRequest), not the number 5"),
        ('{"items": [1, 2]}', "items[0]: must be an object (OrderItem), not the number 1"),
        ('{"items": [null]}', "items[0]: must not be null"),
        ('{"items": {"sku": "A"}}', "items: must be an array, not an object"),
        ('{"user_id": {"a": 1}}', "user_id: must be a string, not an object"),
        ('{"items": [{"sku": 5}]}', "items[0].sku: must be a string, not the number 5"),
        ('{"total_cents": "abc"}', 'total_cents: must be a whole number, not the string "abc"'),
        ('{"total_cents": 1e30}', "total_cents: must be between"),
    ],
)
def test_a_body_of_the_wrong_shape_is_400_in_the_requests_terms(body: str, says: str) -> None:
    reply = request("POST", "/v1/orders", body)
    assert reply.status_code == 400, reply.text
    message = assert_status_body(reply, 3)
    assert message.startswith(says), message
    assert not any(word in message for word in PYTHON_WORDS), message


def test_a_set_stock_body_of_the_wrong_shape_is_400_in_the_requests_terms() -> None:
    reply = request("PUT", "/v1/inventory/SKU-1", "null")
    assert reply.status_code == 400, reply.text
    assert assert_status_body(reply, 3) == "the body must be a JSON object (a SetStockRequest), not null"

"""OrderCreated V2 through Envoy's front door (8080): an order in euros with a contact address,
placed over gRPC or REST, is on orders.created with both fields (decoded as every consumer
decodes it, through the registry) and is read back in euros once projected."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from orderflow.order.v1 import order_service_pb2 as pb
from orderflow.order.v1 import order_service_pb2_grpc as pb_grpc
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem

from order_svc.adapters.kafka_log import ORDER_ID_HEADER, TOPIC
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually

ENVOY = "127.0.0.1:8080"
ITEM = {"sku": "SKU-1", "quantity": 2, "unit_price_cents": 1250}
GRPC_ITEM = OrderItem(sku="SKU-1", quantity=2, unit_price_cents=1250)


class OrdersCreated:
    """orders.created from its end at creation: an order's event found by its order_id header."""

    def __init__(self, settings: Settings) -> None:
        self._codec = ProtobufCodec(clients.registry_client(settings.registry), OrderCreated)
        self._consumer: Consumer = clients.consumer(settings.kafka, group_id=f"test-{uuid.uuid4().hex}")
        partitions = self._consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        self._consumer.assign(
            [
                TopicPartition(TOPIC, p, self._consumer.get_watermark_offsets(TopicPartition(TOPIC, p))[1])
                for p in partitions
            ]
        )

    def event(self, order_id: str, deadline_seconds: float = 30.0) -> OrderCreated:
        """The order's event; records before it (other tests' orders) are passed over."""
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            record = self._consumer.poll(0.5)
            if record is None or record.error() is not None:
                continue
            value = record.value()
            if dict(record.headers() or []).get(ORDER_ID_HEADER) == order_id.encode() and value is not None:
                return self._codec.decode(TOPIC, value)
        raise AssertionError(f"no OrderCreated for {order_id} in {deadline_seconds}s")

    def close(self) -> None:
        self._consumer.close()


@pytest.fixture
def orders_created(settings: Settings) -> Iterator[OrdersCreated]:
    log = OrdersCreated(settings)
    yield log
    log.close()


@pytest.fixture
def stub() -> Iterator[pb_grpc.OrderServiceStub]:
    with grpc.insecure_channel(ENVOY) as channel:
        yield pb_grpc.OrderServiceStub(channel)


def projected(get: Any) -> Any:
    """GetOrder's answer once the projector has the order (NOT_FOUND / 404 until then)."""
    return eventually(get, 60)


def test_a_v2_order_over_grpc_carries_currency_and_contact_email(
    stub: pb_grpc.OrderServiceStub, orders_created: OrdersCreated, unique: str
) -> None:
    request = pb.CreateOrderRequest(
        user_id=f"user-{unique}",
        items=[GRPC_ITEM],
        total_cents=2500,
        currency="EUR",
        contact_email=f"Ann.{unique}@Example.COM",
    )
    created = stub.CreateOrder(request, timeout=10)
    event = orders_created.event(created.order_id)
    assert (event.user_id, event.total_cents, event.currency, event.contact_email) == (
        f"user-{unique}",
        2500,
        "EUR",
        f"Ann.{unique}@example.com",  # normalized: the domain in lower case
    )

    def get() -> pb.Order | None:
        try:
            order: pb.Order = stub.GetOrder(pb.GetOrderRequest(order_id=created.order_id), timeout=10)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:  # not projected yet
                return None
            raise
        return order

    assert projected(get).currency == "EUR"
    listed = stub.ListOrders(pb.ListOrdersRequest(user_id=f"user-{unique}"), timeout=10)
    assert [(o.order_id, o.currency) for o in listed.orders] == [(created.order_id, "EUR")]


def test_a_v2_order_over_rest_carries_currency_and_contact_email(
    orders_created: OrdersCreated, unique: str
) -> None:
    user = f"user-{unique}"
    body = {"user_id": user, "items": [ITEM], "total_cents": 2500, "currency": "EUR"}
    created = httpx.post(
        f"http://{ENVOY}/v1/orders", json={**body, "contact_email": f"ann.{unique}@example.com"}, timeout=15
    )
    assert created.status_code == 200, created.text
    order_id = created.json()["order_id"]
    event = orders_created.event(order_id)
    assert (event.currency, event.contact_email) == ("EUR", f"ann.{unique}@example.com")

    def get() -> dict[str, Any] | None:
        reply = httpx.get(f"http://{ENVOY}/v1/orders/{order_id}", timeout=10)
        if reply.status_code == 404:  # not projected yet
            return None
        assert reply.status_code == 200, reply.text
        found: dict[str, Any] = reply.json()
        return found

    assert projected(get)["currency"] == "EUR"
    listed = httpx.get(f"http://{ENVOY}/v1/users/{user}/orders", timeout=10).json()
    assert [(o["order_id"], o["currency"]) for o in listed["orders"]] == [(order_id, "EUR")]


def test_an_order_without_currency_is_in_dollars_with_no_contact_email(
    orders_created: OrdersCreated, unique: str
) -> None:
    body = {"user_id": f"user-{unique}", "items": [ITEM], "total_cents": 2500}
    created = httpx.post(f"http://{ENVOY}/v1/orders", json=body, timeout=15)
    assert created.status_code == 200, created.text
    order_id = created.json()["order_id"]
    event = orders_created.event(order_id)
    assert (event.currency, event.contact_email) == ("USD", "")

    def get() -> dict[str, Any] | None:
        reply = httpx.get(f"http://{ENVOY}/v1/orders/{order_id}", timeout=10)
        found: dict[str, Any] | None = reply.json() if reply.status_code == 200 else None
        return found

    assert projected(get)["currency"] == "USD"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"currency": "eur"}, ["currency"]),
        ({"currency": "ABC"}, ["currency"]),
        ({"contact_email": "ann"}, ["contact_email"]),
        ({"currency": "EURO", "contact_email": "ann@"}, ["currency", "contact_email"]),
    ],
)
def test_an_invalid_currency_or_address_over_grpc_is_invalid_argument_naming_it(
    stub: pb_grpc.OrderServiceStub, unique: str, changes: dict[str, str], fields: list[str]
) -> None:
    request = pb.CreateOrderRequest(user_id=f"user-{unique}", items=[GRPC_ITEM], total_cents=2500, **changes)
    with pytest.raises(grpc.RpcError) as refused:
        stub.CreateOrder(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(refused.value)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == fields

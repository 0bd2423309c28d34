"""OrderService.CreateOrder against the real broker, registry and Postgres (server in-process)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import grpc
import pytest
from confluent_kafka import TopicPartition
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from orderflow.order.v1 import order_service_pb2 as pb
from orderflow.order.v1 import order_service_pb2_grpc as pb_grpc
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem
from prometheus_client import REGISTRY

from devstack import control
from order_svc import bootstrap
from order_svc.adapters.kafka_log import TOPIC
from order_svc.entrypoints.grpc_api import SERVICE, OrderServicer
from orderflow_platform import grpc_server
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings
from tests.integration.helpers import consume, eventually_async

ITEM = OrderItem(sku="SKU-1", quantity=2, unit_price_cents=250)


def request(user: str, key: str | None = None, **changes: Any) -> pb.CreateOrderRequest:
    fields: dict[str, Any] = {"user_id": user, "items": [ITEM], "total_cents": 500}
    if key is not None:
        fields["idempotency_key"] = key
    fields.update(changes)
    return pb.CreateOrderRequest(**fields)


@pytest.fixture
def event_loop_runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as runner:
        yield runner


class Harness:
    """The service in-process, and a reader of orders.created that sees only what came after."""

    def __init__(self, settings: Settings, runner: asyncio.Runner) -> None:
        self.settings, self.runner = settings, runner
        self.resources = AsyncExitStack()
        self.codec = ProtobufCodec(clients.registry_client(settings.registry), OrderCreated)
        self.consumer = clients.consumer(settings.kafka, group_id=f"test-{uuid.uuid4().hex}")
        partitions = self.consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        ends = [TopicPartition(TOPIC, p) for p in partitions]
        self.consumer.assign(
            [TopicPartition(TOPIC, tp.partition, self.consumer.get_watermark_offsets(tp)[1]) for tp in ends]
        )
        runner.run(self._start())

    async def _start(self) -> None:
        self.order_log = bootstrap.order_log(self.settings)
        self.pool = bootstrap.ledger_pool(self.settings)
        await self.pool.open()
        self.instance = await self.resources.enter_async_context(bootstrap.instance_lock(self.settings))
        servicer = OrderServicer(
            self.order_log,
            bootstrap.request_ledger(self.pool, self.instance),
            bootstrap.order_queries(self.pool),
        )
        self.server = await grpc_server.start(
            lambda server: pb_grpc.add_OrderServiceServicer_to_server(servicer, server),
            [SERVICE],
            "127.0.0.1:0",
        )
        self.channel = grpc.aio.insecure_channel(f"127.0.0.1:{self.server.port}")
        self.stub = pb_grpc.OrderServiceStub(self.channel)

    async def _stop(self) -> None:
        await self.channel.close()
        await self.server.drain(1)
        await self.resources.aclose()
        await self.pool.close()
        self.order_log.close()

    def call(
        self, req: pb.CreateOrderRequest, timeout: float = 10.0, metadata: tuple[tuple[str, str], ...] = ()
    ) -> pb.CreateOrderResponse:
        async def call() -> pb.CreateOrderResponse:
            response: pb.CreateOrderResponse = await self.stub.CreateOrder(
                req, timeout=timeout, metadata=metadata
            )
            return response

        return self.runner.run(call())

    def events_of(self, user: str, count: int) -> list[tuple[bytes | None, OrderCreated, str | None]]:
        """The next `count` events of this user (others' events are skipped)."""
        found: list[tuple[bytes | None, OrderCreated, str | None]] = []
        while len(found) < count:
            (record,) = consume(self.consumer, 1)
            value = record.value()
            assert value is not None
            event = self.codec.decode(TOPIC, value)
            if event.user_id == user:
                found.append((record.key(), event, clients.trace_id_from(record.headers())))
        return found

    def close(self) -> None:
        self.runner.run(self._stop())
        self.consumer.close()


@pytest.fixture
def harness(settings: Settings, event_loop_runner: asyncio.Runner) -> Iterator[Harness]:
    h = Harness(settings, event_loop_runner)
    yield h
    h.close()


def test_an_accepted_order_is_pending_and_its_event_is_keyed_by_user(harness: Harness, unique: str) -> None:
    user = f"user-{unique}"
    response = harness.call(request(user), metadata=(("x-request-id", f"req-{unique}"),))
    assert response.status == pb.ORDER_STATUS_PENDING
    uuid.UUID(response.order_id)
    ((key, event, trace_id),) = harness.events_of(user, 1)
    assert key == user.encode()
    assert trace_id == f"req-{unique}"
    assert (event.order_id, event.user_id, list(event.items), event.total_cents) == (
        response.order_id,
        user,
        [ITEM],
        500,
    )


def test_a_v2_order_carries_its_currency_and_contact_email_and_an_order_without_them_is_usd(
    harness: Harness, unique: str
) -> None:
    user = f"user-{unique}"
    euros = harness.call(request(user, currency="EUR", contact_email=f"ann.{unique}@example.com"))
    dollars = harness.call(request(user))
    events = [event for _key, event, _trace in harness.events_of(user, 2)]
    assert [(e.order_id, e.currency, e.contact_email) for e in events] == [
        (euros.order_id, "EUR", f"ann.{unique}@example.com"),
        (dollars.order_id, "USD", ""),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"user_id": ""}, "user_id"),
        ({"items": []}, "items"),
        (
            {"items": [OrderItem(sku="SKU-1", quantity=0, unit_price_cents=1)], "total_cents": 0},
            "items[0].quantity",
        ),
        (
            {"items": [OrderItem(sku="SKU-1", quantity=-1, unit_price_cents=1)], "total_cents": -1},
            "items[0].quantity",
        ),
        ({"total_cents": 1}, "total_cents"),
        ({"items": [ITEM] * 101, "total_cents": 500 * 101}, "items"),
        ({"user_id": "u" * 10_000}, "user_id"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"contact_email": "ann@@example.com"}, "contact_email"),
    ],
)
def test_invalid_orders_are_refused_naming_the_field(
    harness: Harness, unique: str, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        harness.call(request(f"user-{unique}", **changes))
    error = refused.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (error.details() or "")
    status = rpc_status.from_call(error)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == [field]
    # The server counts the RPC as it unwinds, just after the client has the reply, and only
    # while the event loop they share runs: so wait inside the loop, not beside it.
    labels = {"method": f"/{SERVICE}/CreateOrder", "code": "INVALID_ARGUMENT"}
    harness.runner.run(
        eventually_async(lambda: REGISTRY.get_sample_value("orderflow_grpc_server_handled_total", labels))
    )


def test_concurrent_retries_with_one_key_give_one_order_and_one_event(harness: Harness, unique: str) -> None:
    user = f"user-{unique}"

    async def retries() -> list[pb.CreateOrderResponse]:
        calls = [harness.stub.CreateOrder(request(user, key="retry-1"), timeout=10) for _ in range(10)]
        return list(await asyncio.gather(*calls))

    responses = harness.runner.run(retries())
    assert len({r.order_id for r in responses}) == 1
    harness.call(request(user, key="retry-2"))  # a later, different order marks the end of the stream
    events = [event for _key, event, _trace in harness.events_of(user, 2)]
    assert [e.idempotency_key for e in events] == ["retry-1", "retry-2"]
    assert events[0].order_id == responses[0].order_id
    assert harness.call(request(user, key="retry-1")).order_id == responses[0].order_id


def test_retries_spread_over_two_instances_give_one_order_and_one_event(
    harness: Harness, settings: Settings, event_loop_runner: asyncio.Runner, unique: str
) -> None:
    other = Harness(settings, event_loop_runner)
    user = f"user-{unique}"
    try:

        async def retries() -> list[pb.CreateOrderResponse]:
            stubs = [harness.stub, other.stub] * 5
            return list(
                await asyncio.gather(*(s.CreateOrder(request(user, key="k"), timeout=10) for s in stubs))
            )

        responses = event_loop_runner.run(retries())
    finally:
        other.close()
    assert len({r.order_id for r in responses}) == 1
    harness.call(request(user, key="end-marker"))
    events = [event for _key, event, _trace in harness.events_of(user, 2)]
    assert [e.idempotency_key for e in events] == ["k", "end-marker"]


def test_a_key_reused_for_a_different_order_is_refused(harness: Harness, unique: str) -> None:
    user = f"user-{unique}"
    harness.call(request(user, key="k"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        harness.call(request(user, key="k", items=[OrderItem(sku="SKU-2", quantity=1, unit_price_cents=500)]))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "idempotency_key" in (refused.value.details() or "")


def test_a_key_retried_with_another_currency_is_a_different_order(harness: Harness, unique: str) -> None:
    user = f"user-{unique}"
    first = harness.call(request(user, key="k", currency="EUR"))
    assert harness.call(request(user, key="k", currency="EUR")).order_id == first.order_id
    for other in ({"currency": "GBP"}, {}, {"currency": "EUR", "contact_email": "ann@example.com"}):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            harness.call(request(user, key="k", **other))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "idempotency_key" in (refused.value.details() or "")


def test_kafka_down_gives_unavailable_within_the_deadline_then_recovers(
    harness: Harness, unique: str
) -> None:
    user = f"user-{unique}"
    control.stop("kafka")
    try:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            harness.call(request(user, key="during-outage"), timeout=3.0)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        control.up(["kafka"])
    recovered = harness.call(request(user, key="during-outage"), timeout=30.0)
    ((_key, event, _trace),) = harness.events_of(user, 1)
    assert event.order_id == recovered.order_id

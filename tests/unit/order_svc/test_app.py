"""The order service's app built with fakes: entered, serving over real gRPC, left."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from orderflow.order.v1 import order_service_pb2 as pb
from orderflow.order.v1 import order_service_pb2_grpc as pb_grpc
from orderflow.order.v1.events_pb2 import OrderItem

from order_svc.bootstrap import OrderServiceApp, OrderServiceParts, Stores
from orderflow_platform.shutdown import Shutdown
from tests.unit.order_svc.fakes import FakeOrderLog, FakeRequestLedger, ProjectedOrders

DEADLINE_SECONDS = 5.0


class Life:
    """Fakes for every part, recording what is opened and closed."""

    def __init__(self) -> None:
        self.log = FakeOrderLog()
        self.events: list[str] = []

    def parts(self) -> OrderServiceParts:
        return OrderServiceParts(
            log=self.log, log_ready=self.log_ready, close_log=self.close_log, stores=self.stores
        )

    async def log_ready(self, shutdown: Shutdown) -> bool:
        return True

    def close_log(self) -> int:
        self.events.append("log closed")
        return 0

    @asynccontextmanager
    async def stores(self) -> AsyncIterator[Stores]:
        self.events.append("stores opened")
        yield Stores(FakeRequestLedger(), ProjectedOrders(self.log))
        self.events.append("stores closed")


async def wait_serving(channel: grpc.aio.Channel) -> None:
    watch = health_pb2_grpc.HealthStub(channel).Watch(
        health_pb2.HealthCheckRequest(service=""), timeout=DEADLINE_SECONDS
    )
    async for answer in watch:
        if answer.status == health_pb2.HealthCheckResponse.SERVING:
            break
    watch.cancel()


def test_the_app_serves_orders_and_health_then_closes_what_it_opened_in_reverse() -> None:
    life = Life()
    app = OrderServiceApp(life.parts(), "127.0.0.1:0")
    shutdown = Shutdown()
    request = pb.CreateOrderRequest(
        user_id="u1", items=[OrderItem(sku="A", quantity=2, unit_price_cents=5)], total_cents=10
    )

    async def run() -> tuple[pb.CreateOrderResponse, pb.Order]:
        async with app:
            serving = asyncio.create_task(app.run(shutdown))
            port = await asyncio.wait_for(app.port.get(), DEADLINE_SECONDS)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                await wait_serving(channel)
                orders = pb_grpc.OrderServiceStub(channel)
                created = await orders.CreateOrder(request, timeout=DEADLINE_SECONDS)
                got = await orders.GetOrder(
                    pb.GetOrderRequest(order_id=created.order_id), timeout=DEADLINE_SECONDS
                )
            shutdown.request()
            await asyncio.wait_for(serving, DEADLINE_SECONDS)
            assert life.events == ["stores opened"]
        return created, got

    created, got = asyncio.run(run())
    assert created.status == pb.ORDER_STATUS_PENDING
    assert (got.order_id, got.user_id, got.total_cents) == (created.order_id, "u1", 10)
    assert life.log.ids() == [created.order_id]
    assert life.events == ["stores opened", "stores closed", "log closed"]

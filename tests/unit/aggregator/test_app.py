"""A replica's app built with fakes: MetricsService served over real gRPC once the schemas are
registered and the stream has rebuilt the windows, the rate view left on leaving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import grpc
from orderflow.metrics.v1 import metrics_service_pb2 as pb
from orderflow.metrics.v1 import metrics_service_pb2_grpc as pb_grpc
from orderflow.metrics.v1.events_pb2 import OrderRateWindow

from aggregator.bootstrap import AggregatorApp, AggregatorParts
from aggregator.domain.windows import window_start
from aggregator.entrypoints.grpc_api import RateWindows
from orderflow_platform.shutdown import Shutdown
from tests.unit.aggregator.fakes import FixedRates
from tests.unit.inventory_svc.fakes import FakeStream

DEADLINE_SECONDS = 5.0


class Life:
    """Every part played by fakes, each saying what it does."""

    def __init__(self, schemas_taken: bool) -> None:
        self.events: list[str] = []
        self.stream = FakeStream(self.events)
        self._schemas_taken = schemas_taken
        window = OrderRateWindow(window_seconds=60, order_count=120, orders_per_second=2.0)
        window.window_start.FromDatetime(window_start(datetime.now(UTC)))
        self.window = window

    def parts(self) -> AggregatorParts:
        return AggregatorParts(schemas_ready=self.schemas_ready, stream=self.built, rates=self.rates)

    async def schemas_ready(self, shutdown: Shutdown) -> bool:
        self.events.append(
            "schemas registered" if self._schemas_taken else "stopped before the schemas were registered"
        )
        return self._schemas_taken

    def built(self) -> FakeStream:
        self.events.append("stream built")
        return self.stream

    @asynccontextmanager
    async def rates(self) -> AsyncIterator[RateWindows]:
        self.events.append("rates followed")
        yield FixedRates([self.window])
        self.events.append("rates stopped")


def test_the_app_serves_the_rate_once_the_windows_are_rebuilt_then_stops_following() -> None:
    life = Life(schemas_taken=True)
    app = AggregatorApp(life.parts(), "127.0.0.1:0")
    shutdown = Shutdown()

    async def run() -> pb.GetOrderRateResponse:
        async with app:
            running = asyncio.create_task(app.run(shutdown))
            assert await asyncio.to_thread(life.stream.running.wait, DEADLINE_SECONDS)
            assert "rates followed" not in life.events, "nothing is served before the windows are rebuilt"
            life.stream.assigned.set()
            port = await asyncio.wait_for(app.port.get(), DEADLINE_SECONDS)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                rate: pb.GetOrderRateResponse = await pb_grpc.MetricsServiceStub(channel).GetOrderRate(
                    pb.GetOrderRateRequest(minutes=5), timeout=DEADLINE_SECONDS
                )
            shutdown.request()
            await asyncio.wait_for(running, DEADLINE_SECONDS)
        return rate

    rate = asyncio.run(run())
    assert list(rate.windows) == [life.window]
    assert life.events == [
        "schemas registered",
        "stream built",
        "stream running",
        "rates followed",
        "stream stopped",
        "rates stopped",
    ]


def test_the_app_starts_nothing_when_stopped_before_its_schemas_are_registered() -> None:
    life = Life(schemas_taken=False)
    app = AggregatorApp(life.parts(), "127.0.0.1:0")

    async def run() -> None:
        async with app:
            await asyncio.wait_for(app.run(Shutdown()), DEADLINE_SECONDS)

    asyncio.run(run())
    assert life.events == ["stopped before the schemas were registered"]

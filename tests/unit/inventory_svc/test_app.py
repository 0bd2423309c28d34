"""A replica's app built with fakes: InventoryService served over real gRPC once the stream
has rebuilt the state, and what it opened closed in reverse on leaving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import grpc
from orderflow.inventory.v1 import inventory_service_pb2 as pb
from orderflow.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from inventory_svc.bootstrap import InventoryApp, InventoryParts
from inventory_svc.domain.ports import AppliedChanges, StockCommandLog, StockLevels
from inventory_svc.domain.stock import Stock
from orderflow_platform.shutdown import Shutdown
from tests.unit.inventory_svc.fakes import FakeStream
from tests.unit.inventory_svc.test_stock_requests import FakeOwner

DEADLINE_SECONDS = 5.0


class Life:
    """Every part played by fakes, each saying when it is opened and closed."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.stream = FakeStream(self.events)
        self.owner = FakeOwner(Stock("SKU-1", on_hand=5, reserved=2))

    def parts(self) -> InventoryParts:
        return InventoryParts(
            stream=lambda: self.stream, commands=self.commands, changes=self.changes, levels=self.levels
        )

    @contextmanager
    def commands(self) -> Iterator[StockCommandLog]:
        self.events.append("commands opened")
        yield self.owner
        self.events.append("commands closed")

    @contextmanager
    def changes(self) -> Iterator[AppliedChanges]:
        self.events.append("changes followed")
        yield self.owner
        self.events.append("changes stopped")

    @asynccontextmanager
    async def levels(self) -> AsyncIterator[StockLevels]:
        self.events.append("levels opened")
        yield self.owner
        self.events.append("levels closed")


def test_the_app_serves_stock_once_the_state_is_rebuilt_then_closes_in_reverse() -> None:
    life = Life()
    app = InventoryApp(life.parts(), "127.0.0.1:0")
    shutdown = Shutdown()

    async def run() -> tuple[pb.Stock, pb.Stock]:
        async with app:
            running = asyncio.create_task(app.run(shutdown))
            assert await asyncio.to_thread(life.stream.running.wait, DEADLINE_SECONDS)
            assert life.events == ["stream running"], "nothing is served before the state is rebuilt"
            life.stream.assigned.set()
            port = await asyncio.wait_for(app.port.get(), DEADLINE_SECONDS)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                inventory = pb_grpc.InventoryServiceStub(channel)
                set_to = await inventory.SetStock(
                    pb.SetStockRequest(sku="SKU-1", quantity=9), timeout=DEADLINE_SECONDS
                )
                got = await inventory.GetStock(pb.GetStockRequest(sku="SKU-1"), timeout=DEADLINE_SECONDS)
            shutdown.request()
            await asyncio.wait_for(running, DEADLINE_SECONDS)
        return set_to, got

    set_to, got = asyncio.run(run())
    assert (set_to.on_hand, set_to.reserved, set_to.available) == (9, 2, 7)
    assert got == set_to
    assert life.events == [
        "stream running",
        "commands opened",
        "changes followed",
        "levels opened",
        "stream stopped",
        "levels closed",
        "changes stopped",
        "commands closed",
    ]

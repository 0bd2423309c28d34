"""The one place where the inventory service's real adapters are built."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    asynccontextmanager,
    contextmanager,
)
from dataclasses import dataclass

from orderflow.inventory.v1 import inventory_service_pb2_grpc
from orderflow.inventory.v1.events_pb2 import StockCommand, StockLevel
from psycopg_pool import AsyncConnectionPool

from inventory_svc.adapters.kafka_commands import KafkaStockCommands
from inventory_svc.adapters.postgres_stock import PostgresStockLevels
from inventory_svc.adapters.stock_changes import StockChanges
from inventory_svc.domain.ports import AppliedChanges, StockCommandLog, StockLevels
from inventory_svc.entrypoints.grpc_api import SERVICE, InventoryServicer
from inventory_svc.entrypoints.stream import INPUTS, MESSAGE_TYPES, InventoryProcessor
from orderflow_platform import grpc_server, postgres_pool
from orderflow_platform.app import ServiceApp, Stream
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.delivery import AcknowledgedProducer
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import Settings
from orderflow_platform.shutdown import Shutdown, in_background, until_set
from orderflow_platform.stream.codecs import TopicCodecs
from orderflow_platform.stream.kafka_transaction import transactional_loop
from orderflow_platform.stream.loop import Batching, StreamLoop

GROUP_ID = "inventory-svc"
# Each batch is a transaction touching up to 18 partitions (progress and stock of this
# member's three, outcomes in any of six, commands and line results to the other's), each
# costing the broker a produce request and a verification. A member that takes 600
# records/s or more (about 600 orders/s across the two: each sees half the orders, and
# about as many commands and line results) batches over 30 ms, and from 1,000 records/s,
# when the machine's CPU is what limits, over 50 ms; below, 20 ms keeps each of the saga's
# hops short. At 500 orders/s offered a member takes about 500 records/s: 20 ms rather than
# 30 gave outcome p99 279 -> 215 and 356 -> 348 ms (two interleaved rounds), p50 87 -> 75
# and 98 -> 115, at 3.15-3.28 -> 3.18-3.44 ms of the stack's CPU per order; at saturation
# both linger 50 ms. 30 ms rather than 50 at 500/s had taken p99 from about 310 to 240 ms.
BATCHING = Batching(max_records=500, linger_seconds=0.02, busier=((600, 0.03), (1000, 0.05)))


def stream_loop(settings: Settings, instance: str) -> StreamLoop:
    registry = clients.registry_client(settings.registry)
    codecs = TopicCodecs(registry, settings.registry.auto_register_schemas, MESSAGE_TYPES)
    processor = InventoryProcessor(settings.kafka, codecs)
    return transactional_loop(
        settings.kafka,
        group_id=GROUP_ID,
        # Stable per replica: a restarted replica fences the transactions of its old self.
        transactional_id=f"{GROUP_ID}-{instance}",
        topics=INPUTS,
        processor=processor,
        on_commit=processor.committed,
        batching=BATCHING,
    )


def read_model_pool(settings: Settings) -> AsyncConnectionPool:
    return postgres_pool.async_pool(settings.postgres.dsn, max_size=4)


def stock_commands(settings: Settings) -> KafkaStockCommands:
    registry = clients.registry_client(settings.registry)
    codec = ProtobufCodec(registry, StockCommand, auto_register=settings.registry.auto_register_schemas)
    # murmur2, as the transactional producer partitions commands and stock by sku.
    producer = clients.producer(settings.kafka, partitioner="murmur2_random")
    return KafkaStockCommands(AcknowledgedProducer(producer, "stock-commands"), codec)


def stock_changes(settings: Settings) -> StockChanges:
    registry = clients.registry_client(settings.registry)
    codec = ProtobufCodec(registry, StockLevel, auto_register=settings.registry.auto_register_schemas)
    return StockChanges(settings.kafka, codec)


@contextmanager
def sending_commands(settings: Settings) -> Iterator[StockCommandLog]:
    commands = stock_commands(settings)
    try:
        yield commands
    finally:
        get_logger().info("stopped", undelivered=commands.close())


@contextmanager
def following_changes(settings: Settings) -> Iterator[AppliedChanges]:
    changes = stock_changes(settings).start()
    try:
        yield changes
    finally:
        changes.stop()


@asynccontextmanager
async def stock_levels(settings: Settings) -> AsyncIterator[StockLevels]:
    async with read_model_pool(settings) as pool:
        yield PostgresStockLevels(pool)


@dataclass(frozen=True)
class InventoryParts:
    """What a replica runs on: the real adapters from `app`, fakes in tests. InventoryService's
    parts are opened only once the stream has rebuilt the replica's state."""

    stream: Callable[[], Stream]
    commands: Callable[[], AbstractContextManager[StockCommandLog]]
    changes: Callable[[], AbstractContextManager[AppliedChanges]]
    levels: Callable[[], AbstractAsyncContextManager[StockLevels]]


class InventoryApp(ServiceApp):
    """One replica: the stream processor (a Kafka loop in a thread of its own) and
    InventoryService, served once the replica has joined the group and rebuilt its state.
    Leaving closes the read model pool, stops following the stock and flushes the commands."""

    def __init__(self, parts: InventoryParts, address: str) -> None:
        super().__init__()
        self._parts, self._address = parts, address
        self.port = grpc_server.BoundPort()

    async def run(self, shutdown: Shutdown) -> None:
        loop = self._parts.stream()
        # The Kafka loop blocks, so it runs beside the event loop that serves gRPC.
        async with in_background(loop.run, shutdown, "inventory-stream"):
            # Before that, a SetStock would wait on an owner that is not there yet.
            if not await until_set(loop.assigned, shutdown):
                return
            servicer = await self._servicer(self._resources)
            await grpc_server.serve(
                lambda server: inventory_service_pb2_grpc.add_InventoryServiceServicer_to_server(
                    servicer, server
                ),
                [SERVICE],
                self._address,
                shutdown,
                bound=self.port,
            )

    async def _servicer(self, resources: AsyncExitStack) -> InventoryServicer:
        commands = resources.enter_context(self._parts.commands())
        changes = resources.enter_context(self._parts.changes())
        levels = await resources.enter_async_context(self._parts.levels())
        return InventoryServicer(commands, changes, levels)


def instance() -> str:
    """The replica's name, which its transactional id carries."""
    return os.environ.get("INVENTORY_SVC_INSTANCE", "1")


def app(settings: Settings) -> InventoryApp:
    replica = instance()
    parts = InventoryParts(
        stream=lambda: stream_loop(settings, replica),
        commands=lambda: sending_commands(settings),
        changes=lambda: following_changes(settings),
        levels=lambda: stock_levels(settings),
    )
    return InventoryApp(parts, os.environ.get("INVENTORY_SVC_ADDRESS", "0.0.0.0:50052"))

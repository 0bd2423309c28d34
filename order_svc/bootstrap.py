"""The one place where the order service's real adapters are built."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from confluent_kafka import Consumer
from orderflow.order.v1 import order_service_pb2_grpc
from orderflow.order.v1.events_pb2 import OrderCreated
from psycopg_pool import AsyncConnectionPool

from order_svc import handlers
from order_svc.adapters.kafka_log import KafkaOrderLog
from order_svc.adapters.postgres_ledger import InstanceLock, PostgresRequestLedger
from order_svc.adapters.postgres_orders import PostgresOrderQueries
from order_svc.domain.ports import OrderLog, OrderQueries, RequestLedger
from order_svc.entrypoints.grpc_api import SERVICE, OrderServicer
from orderflow_platform import grpc_server, postgres_pool
from orderflow_platform.app import ServiceApp
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.logs import get_logger
from orderflow_platform.schema_gate import schemas_registered
from orderflow_platform.settings import Settings
from orderflow_platform.shutdown import Shutdown

# How long a stopping instance waits for the records of calls it has answered.
RECORDED_GRACE_SECONDS = 5.0


def order_log(settings: Settings) -> KafkaOrderLog:
    registry = clients.registry_client(settings.registry)
    codec = ProtobufCodec(registry, OrderCreated, auto_register=settings.registry.auto_register_schemas)
    # murmur2 puts a user's orders on the same partition a Java client would choose.
    producer = clients.producer(settings.kafka, partitioner="murmur2_random")

    def searcher() -> Consumer:
        # Never joins the group or commits: it only reads a partition it assigns itself. The
        # broker holds a fetch at the partition's end for fetch.wait.max.ms (500 by default)
        # before the end is known: a search waits on that once.
        return clients.consumer(
            settings.kafka,
            "order_svc-log-search",
            **{"enable.partition.eof": True, "fetch.wait.max.ms": 10},
        )

    return KafkaOrderLog(producer, codec, searcher, settings.kafka.request_timeout_ms / 1000)


def ledger_pool(settings: Settings) -> AsyncConnectionPool:
    return postgres_pool.async_pool(settings.postgres.dsn, max_size=10)


def instance_lock(settings: Settings) -> InstanceLock:
    """Entered by the caller (`async with`) for the life of the instance."""
    return InstanceLock(settings.postgres.dsn)


def request_ledger(pool: AsyncConnectionPool, instance: InstanceLock) -> PostgresRequestLedger:
    return PostgresRequestLedger(pool, instance)


def order_queries(pool: AsyncConnectionPool) -> PostgresOrderQueries:
    return PostgresOrderQueries(pool)


@dataclass(frozen=True)
class Stores:
    ledger: RequestLedger
    queries: OrderQueries


@asynccontextmanager
async def stores(settings: Settings) -> AsyncIterator[Stores]:
    """The ledger's pool opened, then the instance's lock taken; released in reverse."""
    async with ledger_pool(settings) as pool, instance_lock(settings) as instance:
        yield Stores(request_ledger(pool, instance), order_queries(pool))


@dataclass(frozen=True)
class OrderServiceParts:
    """What the order service runs on: the real adapters from `app`, fakes in tests."""

    log: OrderLog
    # Waits until the registry holds the log's schemas; False when shutdown came first.
    log_ready: Callable[[Shutdown], Awaitable[bool]]
    # Flushes the log; returns how many events were not delivered.
    close_log: Callable[[], int]
    stores: Callable[[], AbstractAsyncContextManager[Stores]]


class OrderServiceApp(ServiceApp):
    """OrderService on gRPC over the order log, the request ledger and the read models.

    Entering opens the ledger's pool and takes the instance's lock; leaving releases them,
    then flushes the log's producer."""

    def __init__(self, parts: OrderServiceParts, address: str) -> None:
        super().__init__()
        self._parts, self._address = parts, address
        self.port = grpc_server.BoundPort()
        self._servicer: OrderServicer | None = None

    async def open(self, resources: AsyncExitStack) -> None:
        resources.callback(self._close_log)
        stores = await resources.enter_async_context(self._parts.stores())
        self._servicer = OrderServicer(self._parts.log, stores.ledger, stores.queries)

    async def run(self, shutdown: Shutdown) -> None:
        assert self._servicer is not None, "entered first"
        servicer = self._servicer
        await grpc_server.serve(
            lambda server: order_service_pb2_grpc.add_OrderServiceServicer_to_server(servicer, server),
            [SERVICE],
            self._address,
            shutdown,
            until_ready=lambda: self._parts.log_ready(shutdown),
            bound=self.port,
        )
        # Drained: what the answered calls left to record goes in before the pool closes.
        await handlers.recorded(RECORDED_GRACE_SECONDS)

    def _close_log(self) -> None:
        get_logger().info("stopped", undelivered=self._parts.close_log())


def app(settings: Settings) -> OrderServiceApp:
    log = order_log(settings)
    parts = OrderServiceParts(
        log=log,
        log_ready=lambda shutdown: schemas_registered(log.schemas(), shutdown),
        close_log=log.close,
        stores=lambda: stores(settings),
    )
    return OrderServiceApp(parts, os.environ.get("ORDER_SVC_ADDRESS", "0.0.0.0:50051"))

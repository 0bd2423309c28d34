"""The one place where the order service's real adapters are built."""

from __future__ import annotations

from orderflow.order.v1.events_pb2 import OrderCreated
from psycopg_pool import AsyncConnectionPool

from order_svc.adapters.kafka_log import KafkaOrderLog
from order_svc.adapters.postgres_ledger import PostgresRequestLedger
from order_svc.adapters.postgres_orders import PostgresOrderQueries
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings


def order_log(settings: Settings) -> KafkaOrderLog:
    registry = clients.registry_client(settings.registry)
    codec = ProtobufCodec(registry, OrderCreated, auto_register=settings.registry.auto_register_schemas)
    # murmur2 puts a user's orders on the same partition a Java client would choose.
    producer = clients.producer(settings.kafka, partitioner="murmur2_random")
    return KafkaOrderLog(producer, codec)


def ledger_pool(settings: Settings) -> AsyncConnectionPool:
    """Opened by the caller (`async with`); a request waits at most `timeout` for a connection."""
    return AsyncConnectionPool(settings.postgres.dsn, min_size=1, max_size=10, timeout=5.0, open=False)


def request_ledger(pool: AsyncConnectionPool) -> PostgresRequestLedger:
    return PostgresRequestLedger(pool)


def order_queries(pool: AsyncConnectionPool) -> PostgresOrderQueries:
    return PostgresOrderQueries(pool)

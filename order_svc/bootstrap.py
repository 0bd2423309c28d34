"""The one place where the order service's real adapters are built."""

from __future__ import annotations

from confluent_kafka import Consumer
from orderflow.order.v1.events_pb2 import OrderCreated
from psycopg_pool import AsyncConnectionPool

from order_svc.adapters.kafka_log import KafkaOrderLog
from order_svc.adapters.postgres_ledger import InstanceLock, PostgresRequestLedger
from order_svc.adapters.postgres_orders import PostgresOrderQueries
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings


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
    """Opened by the caller (`async with`); a request waits at most `timeout` for a connection."""
    return AsyncConnectionPool(settings.postgres.dsn, min_size=1, max_size=10, timeout=5.0, open=False)


def instance_lock(settings: Settings) -> InstanceLock:
    """Entered by the caller (`async with`) for the life of the instance."""
    return InstanceLock(settings.postgres.dsn)


def request_ledger(pool: AsyncConnectionPool, instance: InstanceLock) -> PostgresRequestLedger:
    return PostgresRequestLedger(pool, instance)


def order_queries(pool: AsyncConnectionPool) -> PostgresOrderQueries:
    return PostgresOrderQueries(pool)

"""The one place where the inventory service's real adapters are built."""

from __future__ import annotations

from orderflow.inventory.v1.events_pb2 import StockCommand, StockLevel
from psycopg_pool import AsyncConnectionPool

from inventory_svc.adapters.stock_changes import StockChanges
from inventory_svc.entrypoints.grpc_api import InventoryServicer
from inventory_svc.entrypoints.stream import INPUTS, MESSAGE_TYPES, InventoryProcessor
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.delivery import AcknowledgedProducer
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings
from orderflow_platform.stream.codecs import TopicCodecs
from orderflow_platform.stream.kafka_transaction import transactional_loop
from orderflow_platform.stream.loop import StreamLoop

GROUP_ID = "inventory-svc"


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
    )


def read_model_pool(settings: Settings) -> AsyncConnectionPool:
    """Opened by the caller (`async with`); a query waits at most `timeout` for a connection."""
    return AsyncConnectionPool(settings.postgres.dsn, min_size=1, max_size=4, timeout=5.0, open=False)


def servicer(
    settings: Settings, read_models: AsyncConnectionPool
) -> tuple[InventoryServicer, AcknowledgedProducer, StockChanges]:
    registry = clients.registry_client(settings.registry)
    auto_register = settings.registry.auto_register_schemas
    # murmur2, as the transactional producer partitions commands and stock by sku.
    producer = clients.producer(settings.kafka, partitioner="murmur2_random")
    commands = AcknowledgedProducer(producer, "stock-commands")
    changes = StockChanges(settings.kafka, ProtobufCodec(registry, StockLevel, auto_register=auto_register))
    codec = ProtobufCodec(registry, StockCommand, auto_register=auto_register)
    return InventoryServicer(commands, codec, changes.start(), read_models), commands, changes

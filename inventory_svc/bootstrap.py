"""The one place where the inventory service's real adapters are built."""

from __future__ import annotations

from orderflow.inventory.v1.events_pb2 import StockCommand, StockLevel

from inventory_svc.adapters.stock_view import StockView
from inventory_svc.entrypoints.grpc_api import InventoryServicer
from inventory_svc.entrypoints.stream import INPUTS, Codecs, InventoryProcessor
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.delivery import AcknowledgedProducer
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.kafka.transactional import TransactionalLoop
from orderflow_platform.settings import Settings

GROUP_ID = "inventory-svc"


def stream_loop(settings: Settings, instance: str) -> tuple[TransactionalLoop, InventoryProcessor]:
    registry = clients.registry_client(settings.registry)
    processor = InventoryProcessor(settings.kafka, Codecs(registry, settings.registry.auto_register_schemas))
    loop = TransactionalLoop(
        settings.kafka,
        group_id=GROUP_ID,
        # Stable per replica: a restarted replica fences the transactions of its old self.
        transactional_id=f"{GROUP_ID}-{instance}",
        topics=INPUTS,
        processor=processor,
    )
    return loop, processor


def servicer(settings: Settings) -> tuple[InventoryServicer, AcknowledgedProducer, StockView]:
    registry = clients.registry_client(settings.registry)
    auto_register = settings.registry.auto_register_schemas
    # murmur2, as the transactional producer partitions commands and stock by sku.
    commands = AcknowledgedProducer(
        clients.producer(settings.kafka, partitioner="murmur2_random"), "stock-commands"
    )
    view = StockView(settings.kafka, ProtobufCodec(registry, StockLevel, auto_register=auto_register)).start()
    codec = ProtobufCodec(registry, StockCommand, auto_register=auto_register)
    return InventoryServicer(commands, codec, view), commands, view

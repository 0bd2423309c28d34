"""Produces one record of each poison kind onto every input topic and notes where each landed."""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaError, Message
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from google.protobuf.message import Message as Proto
from orderflow.inventory.v1 import events_pb2 as inv
from orderflow.order.v1.events_pb2 import OrderCreated

from faults import topology
from faults.model import Poison, RunIds
from faults.poison import poison_values
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings

NOT_FOUND = 404
FIRST_CANDIDATE_ID = 2_000_000_000
# Field 1 of each is a string: the valid record ends in it, as truncation needs.
FILLER = "P" * 40
SAMPLES: dict[str, Proto] = {
    topology.ORDERS: OrderCreated(order_id=FILLER),
    topology.COMMANDS: inv.StockCommand(sku=FILLER),
    topology.LINE_RESULTS: inv.LineResult(order_id=FILLER),
    topology.RESERVED: inv.OrderReserved(order_id=FILLER),
    topology.FAILED: inv.OrderRejected(order_id=FILLER),
    topology.STOCK: inv.StockLevel(sku=FILLER),
}


def unknown_schema_id(registry: SchemaRegistryClient, tries: int = 20) -> int:
    """A schema id the registry answers 404 for."""
    for candidate in range(FIRST_CANDIDATE_ID, FIRST_CANDIDATE_ID + tries):
        try:
            registry.get_schema(candidate)
        except SchemaRegistryError as error:
            if error.http_status_code == NOT_FOUND:
                return candidate
            raise
    raise RuntimeError(f"the registry knows every id from {FIRST_CANDIDATE_ID} on")


def poison_every_input(settings: Settings, ids: RunIds) -> list[Poison]:
    registry = clients.registry_client(settings.registry)
    unknown = unknown_schema_id(registry)
    producer = clients.producer(settings.kafka)
    landed: list[Poison] = []

    def delivered(kind: str) -> Any:
        def report(error: KafkaError | None, message: Message) -> None:
            if error is None:
                landed.append(
                    Poison(
                        str(message.topic()), int(message.partition() or 0), int(message.offset() or 0), kind
                    )
                )

        return report

    for topic, sample in SAMPLES.items():
        valid = ProtobufCodec(registry, type(sample)).encode(topic, sample)
        for kind, value in poison_values(valid, unknown).items():
            producer.produce(topic, value, f"{ids.poison_prefix}{kind}".encode(), on_delivery=delivered(kind))
    undelivered = producer.flush(30)
    if undelivered:
        raise RuntimeError(f"{undelivered} poison records not delivered")
    return landed

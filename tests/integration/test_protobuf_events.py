"""A Protobuf event through the real registry and broker, and back."""

from __future__ import annotations

import base64

import httpx
import pytest
from confluent_kafka import KafkaError
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import SerializationError
from google.protobuf.descriptor_pb2 import FileDescriptorProto
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem

from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec, RegistryUnavailable
from orderflow_platform.settings import Settings
from tests.integration.helpers import consume, create_topic
from tests.integration.poison import KINDS, poison


def an_order(user: str, order_id: str) -> OrderCreated:
    return OrderCreated(
        order_id=order_id,
        user_id=user,
        items=[OrderItem(sku="SKU-1", quantity=2, unit_price_cents=250)],
        total_cents=500,
        created_at=Timestamp(seconds=1_790_000_000),
    )


def test_order_created_round_trips_through_registry_and_broker(settings: Settings, unique: str) -> None:
    topic = f"test.orders.{unique}"
    create_topic(clients.admin_client(settings.kafka), topic)
    codec = ProtobufCodec(clients.registry_client(settings.registry), OrderCreated)
    sent = [an_order(f"user-{unique}", f"order-{i}") for i in range(3)]

    producer = clients.producer(settings.kafka)
    delivered: list[KafkaError | None] = []
    for event in sent:
        producer.produce(
            topic,
            key=event.user_id.encode(),
            value=codec.encode(topic, event),
            headers=clients.trace_headers(f"trace-{event.order_id}"),
            on_delivery=lambda error, _message: delivered.append(error),
        )
    assert producer.flush(30) == 0
    assert delivered == [None, None, None]

    consumer = clients.consumer(settings.kafka, group_id=f"test-{unique}")
    consumer.subscribe([topic])
    try:
        records = consume(consumer, 3)
    finally:
        consumer.close()
    values = [r.value() for r in records]
    received = sorted((codec.decode(topic, v) for v in values if v is not None), key=lambda e: e.order_id)
    assert received == sent
    assert {r.key() for r in records} == {f"user-{unique}".encode()}
    assert {clients.trace_id_from(r.headers()) for r in records} == {f"trace-order-{i}" for i in range(3)}

    subjects = httpx.get(f"{settings.registry.url}/subjects", timeout=10).json()
    assert f"{topic}-value" in subjects
    latest = httpx.get(f"{settings.registry.url}/subjects/{topic}-value/versions/latest", timeout=10).json()
    assert latest["schemaType"] == "PROTOBUF"
    # confluent-kafka registers the schema as a serialized FileDescriptorProto (base64).
    registered = FileDescriptorProto.FromString(base64.b64decode(latest["schema"]))
    assert registered.package == "orderflow.order.v1"
    assert "OrderCreated" in [message.name for message in registered.message_type]


def test_bytes_that_are_not_the_event_are_refused(settings: Settings, unique: str) -> None:
    codec = ProtobufCodec(clients.registry_client(settings.registry), OrderCreated)
    with pytest.raises(SerializationError):
        codec.decode(f"test.orders.{unique}", b"not protobuf in wire format")


@pytest.mark.parametrize("kind", KINDS)
def test_a_record_that_can_never_be_decoded_is_a_serialization_error(
    settings: Settings, unique: str, kind: str
) -> None:
    topic = f"test.poison.{unique}"
    codec = ProtobufCodec(clients.registry_client(settings.registry), OrderCreated)
    valid = codec.encode(topic, an_order(f"user-{unique}", "order-1"))
    # A reader that has not seen the schema yet asks the registry for it by id.
    reader = ProtobufCodec(clients.registry_client(settings.registry), OrderCreated)
    assert reader.decode(topic, valid).order_id == "order-1"
    with pytest.raises(SerializationError):
        reader.decode(topic, poison(kind, valid))


def test_an_unreachable_registry_is_unavailable_not_a_bad_record(settings: Settings, unique: str) -> None:
    topic = f"test.poison.{unique}"
    valid = ProtobufCodec(clients.registry_client(settings.registry), OrderCreated).encode(
        topic, an_order(f"user-{unique}", "order-1")
    )
    # Nothing listens on port 9 (discard) here: every request is refused at once.
    nowhere = SchemaRegistryClient({"url": "http://127.0.0.1:9", "max.retries": 0})
    with pytest.raises(RegistryUnavailable):
        ProtobufCodec(nowhere, OrderCreated).decode(topic, valid)

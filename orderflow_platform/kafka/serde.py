"""Protobuf values through the schema registry (Confluent wire format, subject <topic>-value)."""

from __future__ import annotations

from typing import Generic, TypeVar

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf.message import Message

M = TypeVar("M", bound=Message)


class ProtobufCodec(Generic[M]):
    """Encodes and decodes one message type; the schema is registered on first encode."""

    def __init__(
        self, registry: SchemaRegistryClient, message_type: type[M], *, auto_register: bool = True
    ) -> None:
        self.message_type = message_type
        self._serializer = ProtobufSerializer(
            message_type,
            registry,
            {"auto.register.schemas": auto_register, "use.latest.version": not auto_register},
        )
        self._deserializer = ProtobufDeserializer(message_type, {}, registry)

    def encode(self, topic: str, message: M) -> bytes:
        data = self._serializer(message, SerializationContext(topic, MessageField.VALUE))
        assert isinstance(data, bytes)
        return data

    def decode(self, topic: str, data: bytes) -> M:
        """Raises SerializationError when the bytes are not this message in wire format."""
        message = self._deserializer(data, SerializationContext(topic, MessageField.VALUE))
        assert isinstance(message, self.message_type)
        return message

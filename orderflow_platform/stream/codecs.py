"""Records in and out of a processor's topics, each topic with its Protobuf message type."""

from __future__ import annotations

from collections.abc import Mapping

from confluent_kafka import Message
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import SerializationError
from google.protobuf.message import Message as ProtoMessage

from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.stream.records import OutRecord, PoisonMessage


class TopicCodecs:
    def __init__(
        self,
        registry: SchemaRegistryClient,
        auto_register: bool,
        message_types: Mapping[str, type[ProtoMessage]],
    ) -> None:
        self.by_topic: dict[str, ProtobufCodec[ProtoMessage]] = {
            topic: ProtobufCodec(registry, message_type, auto_register=auto_register)
            for topic, message_type in message_types.items()
        }

    def decode(self, message: Message) -> ProtoMessage:
        value = message.value()
        if value is None:
            raise PoisonMessage("no value")
        topic = str(message.topic())
        try:
            return self.by_topic[topic].decode(topic, value)
        except SerializationError as error:
            raise PoisonMessage(f"undecodable: {error}") from error

    def record(
        self, topic: str, key: str | bytes, value: ProtoMessage, partition: int | None = None
    ) -> OutRecord:
        encoded_key = key.encode() if isinstance(key, str) else key
        return OutRecord(topic, self.by_topic[topic].encode(topic, value), encoded_key, partition)

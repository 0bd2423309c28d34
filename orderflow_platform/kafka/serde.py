"""Protobuf values through the schema registry (Confluent wire format, subject <topic>-value)."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import httpx
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.common.serde import SchemaId
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError
from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp

M = TypeVar("M", bound=Message)
# The registry's answers that say something of the record, not of the registry: it has no
# such schema (404), or the request for it is malformed (another 4xx but a rate limit).
_NO_SUCH_SCHEMA = range(400, 500)
_TRANSIENT_CLIENT_ERRORS = {408, 429}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NANOS_PER_SECOND = 1_000_000_000
_NANOS_PER_MICROSECOND = 1000


def to_datetime(stamp: Timestamp) -> datetime:
    """The UTC moment a Timestamp holds, as `stamp.ToDatetime(tzinfo=UTC)` gives it, or
    ValueError for one no datetime can hold.

    Twice as fast as ToDatetime, which builds its result twice (an addition, then a time
    zone conversion): a replay converts one per event. A Timestamp's valid range is
    datetime's, so the addition's OverflowError is its range check.
    """
    seconds, nanos = stamp.seconds, stamp.nanos
    if not 0 <= nanos < _NANOS_PER_SECOND:
        raise ValueError(f"Timestamp nanos out of range: {nanos}")
    try:
        return _EPOCH + timedelta(0, seconds, nanos // _NANOS_PER_MICROSECOND)
    except OverflowError as error:
        raise ValueError(f"Timestamp seconds out of range: {seconds}") from error


class RegistryUnavailable(Exception):
    """The registry could not be asked; the record may well be good, so try it again later."""


class SchemaRefused(Exception):
    """The registry refuses this schema under its compatibility rule; says why."""


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
        self._checked_headers: list[bytes] = []

    def encode(self, topic: str, message: M) -> bytes:
        try:
            data = self._serializer(message, SerializationContext(topic, MessageField.VALUE))
        except httpx.TransportError as error:
            raise RegistryUnavailable(str(error)) from error
        except SchemaRegistryError as error:
            if _transient(error):
                raise RegistryUnavailable(str(error)) from error
            raise SchemaRefused(f"{topic}-value: {error.error_message}") from error
        assert isinstance(data, bytes)
        return data

    def decode(self, topic: str, data: bytes) -> M:
        """The message, or SerializationError when these bytes can never be decoded.

        Never decodable: no magic byte, a truncated header or payload, a schema id the
        registry does not know, a message index the schema lacks. RegistryUnavailable
        instead when the registry cannot answer: the same record may decode later.

        The first record with a given header (schema id and message index) is checked
        against its writer schema; later ones are parsed at once. confluent-kafka's
        deserializer copies the writer's whole file descriptor for every record, which
        was most of a consumer's CPU and of inventory's state rebuilds.
        """
        # A header is self-delimiting (its varints say where it ends), so a record that
        # starts with a checked one has exactly that header.
        for header in self._checked_headers:
            if data.startswith(header):
                try:
                    return self.message_type.FromString(data[len(header) :])
                except DecodeError as error:
                    raise SerializationError(f"DecodeError: {error}") from error
        message = self._decode_checked(topic, data)
        self._checked_headers.append(data[: _payload_start(data)])
        return message

    def _decode_checked(self, topic: str, data: bytes) -> M:
        try:
            message = self._deserializer(data, SerializationContext(topic, MessageField.VALUE))
        except SerializationError:
            raise
        except httpx.TransportError as error:
            raise RegistryUnavailable(f"schema registry unreachable: {error}") from error
        except SchemaRegistryError as error:
            if _transient(error):
                raise RegistryUnavailable(f"schema registry failed: {error}") from error
            raise SerializationError(f"writer schema not available: {error}") from error
        except (IndexError, KeyError, ValueError, TypeError, EOFError, struct.error, DecodeError) as error:
            # The framing or the writer schema does not fit these bytes.
            raise SerializationError(f"{type(error).__name__}: {error}") from error
        if not isinstance(message, self.message_type):
            raise SerializationError(f"not a {self.message_type.DESCRIPTOR.full_name}")
        return message


def _payload_start(data: bytes) -> int:
    """Where the Protobuf payload starts, after the magic byte, schema id and message indexes."""
    buffer = io.BytesIO(data)
    try:
        SchemaId("PROTOBUF").from_bytes(buffer)
    except (EOFError, struct.error) as error:
        raise SerializationError(f"{type(error).__name__}: {error}") from error
    return buffer.tell()


def _transient(error: SchemaRegistryError) -> bool:
    status = error.http_status_code
    return status not in _NO_SUCH_SCHEMA or status in _TRANSIENT_CLIENT_ERRORS


def register(codecs: Iterable[tuple[str, ProtobufCodec[Any]]]) -> None:
    """Registers each codec's schema under its topic's subject, as its first record would.

    Raises SchemaRefused when the registry will not take one, RegistryUnavailable when it
    cannot be asked.
    """
    for topic, codec in codecs:
        codec.encode(topic, codec.message_type())

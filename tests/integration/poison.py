"""Records no consumer can ever decode: one of each kind a hostile or broken producer sends."""

from __future__ import annotations

import io

from confluent_kafka.schema_registry.common.serde import SchemaId

KINDS = ("garbage", "unknown_schema_id", "truncated", "wrong_message_index")
# An id far beyond any the registry hands out, so it never knows it.
UNKNOWN_SCHEMA_ID = 2_000_000_000


def poison(kind: str, valid: bytes) -> bytes:
    """A record of this kind, made from a valid one in Confluent's Protobuf wire format."""
    schema = SchemaId("PROTOBUF")
    payload = schema.from_bytes(io.BytesIO(valid)).read()
    header = valid[: len(valid) - len(payload)]
    if kind == "garbage":
        return b"not protobuf"
    if kind == "unknown_schema_id":
        return b"\x00" + UNKNOWN_SCHEMA_ID.to_bytes(4, "big") + header[5:] + payload
    if kind == "truncated":
        # Cut inside the first field (a string id), so no prefix of it parses.
        return header + payload[:10]
    assert kind == "wrong_message_index"
    # One index (zigzag varint 2), 7: no message of the file has it.
    return header[:5] + bytes([2, 14]) + payload

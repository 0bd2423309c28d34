"""Records no consumer can ever decode, one of each kind (the fault suite's own, faults.poison)."""

from __future__ import annotations

from faults.poison import poison_values

KINDS = ("garbage", "unknown-schema-id", "truncated", "wrong-message-index")
# An id far beyond any the registry hands out, so it never knows it.
UNKNOWN_SCHEMA_ID = 2_000_000_000


def poison(kind: str, valid: bytes) -> bytes:
    """A record of this kind, made from a valid one (Confluent's Protobuf wire format, ending
    in a length-delimited field of three bytes or more)."""
    return poison_values(valid, UNKNOWN_SCHEMA_ID)[kind]

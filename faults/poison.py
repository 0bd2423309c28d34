"""Records no consumer can decode, built from a valid one of the topic's own type.

Confluent wire format: magic byte 0, a 4-byte schema id, the message indexes (a zigzag
varint count, then that many zigzag varints; a lone 0 byte means [0]), then the Protobuf.
"""

from __future__ import annotations

import struct

MAGIC = b"\x00"
HEADER = 5
# Message index [99]: count 1 and index 99, zigzag varints. No orderflow schema has 100 messages.
MISSING_INDEX = b"\x02\xc6\x01"
TRUNCATED_BYTES = 3


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """The varint at `at` and the position after it."""
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7


def payload_start(wire: bytes) -> int:
    """Where the Protobuf bytes begin, past the header and the message indexes."""
    zigzag_count, at = _varint(wire, HEADER)
    if zigzag_count == 0:
        return at
    for _ in range(zigzag_count >> 1):
        _index, at = _varint(wire, at)
    return at


def poison_values(valid: bytes, unknown_schema_id: int) -> dict[str, bytes]:
    """One record of each kind. `valid` must end in a length-delimited field of 3+ bytes,
    so that cutting its last bytes leaves a length prefix pointing past the end."""
    if valid[:1] != MAGIC:
        raise ValueError("not a Confluent wire-format value")
    body = valid[payload_start(valid) :]
    return {
        "garbage": b"\xffnot an event at all",
        "unknown-schema-id": MAGIC + struct.pack(">I", unknown_schema_id) + valid[HEADER:],
        "truncated": valid[:-TRUNCATED_BYTES],
        "wrong-message-index": valid[:HEADER] + MISSING_INDEX + body,
    }

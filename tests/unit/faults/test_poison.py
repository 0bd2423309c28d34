"""Poison records are undecodable in exactly the way their kind says."""

from __future__ import annotations

import struct

import pytest
from google.protobuf.message import DecodeError
from orderflow.order.v1.events_pb2 import OrderCreated

from faults.poison import HEADER, MISSING_INDEX, payload_start, poison_values

SCHEMA_ID = 7


def wire(indexes: bytes, message: OrderCreated) -> bytes:
    return b"\x00" + struct.pack(">I", SCHEMA_ID) + indexes + message.SerializeToString()


VALID = wire(b"\x02\x02", OrderCreated(order_id="o" * 40))


def test_payload_starts_after_the_message_indexes() -> None:
    assert payload_start(wire(b"\x00", OrderCreated())) == HEADER + 1
    assert payload_start(VALID) == HEADER + 2
    assert payload_start(wire(MISSING_INDEX, OrderCreated())) == HEADER + 3


def test_one_record_of_each_kind() -> None:
    assert set(poison_values(VALID, 999)) == {
        "garbage",
        "unknown-schema-id",
        "truncated",
        "wrong-message-index",
    }


def test_unknown_schema_id_keeps_the_rest_of_a_valid_record() -> None:
    value = poison_values(VALID, 0x01020304)["unknown-schema-id"]
    assert value[:HEADER] == b"\x00\x01\x02\x03\x04"
    assert value[HEADER:] == VALID[HEADER:]


def test_truncated_payload_no_longer_parses() -> None:
    value = poison_values(VALID, 999)["truncated"]
    with pytest.raises(DecodeError):
        OrderCreated.FromString(value[payload_start(value) :])


def test_wrong_message_index_keeps_schema_and_payload() -> None:
    value = poison_values(VALID, 999)["wrong-message-index"]
    assert value[:HEADER] == VALID[:HEADER]
    assert value[HEADER : HEADER + 3] == MISSING_INDEX
    assert OrderCreated.FromString(value[payload_start(value) :]).order_id == "o" * 40


def test_garbage_has_no_magic_byte() -> None:
    assert poison_values(VALID, 999)["garbage"][:1] != b"\x00"


def test_refuses_a_value_that_is_not_wire_format() -> None:
    with pytest.raises(ValueError, match="wire-format"):
        poison_values(b"\x01abc", 999)

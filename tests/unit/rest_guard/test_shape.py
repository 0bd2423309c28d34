"""The shape check for every kind of field, on protobuf's own messages: orderflow's requests
use only strings, integers and repeated messages today, and the guard reads whatever message
a route's rule names."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2, struct_pb2, type_pb2
from google.protobuf.descriptor import Descriptor

from rest_guard.shape import body_problem

FIELD: Descriptor = type_pb2.Field.DESCRIPTOR  # enum kind, int32, bool, repeated Option (Any inside)
OPTION: Descriptor = descriptor_pb2.UninterpretedOption.DESCRIPTOR  # double, uint64, bytes
STRUCT: Descriptor = struct_pb2.Struct.DESCRIPTOR  # a map


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "TYPE_STRING", "number": "7", "packed": True, "jsonName": "x"},
        {"kind": 9},
        {"options": [{"name": "o", "value": {"@type": "anything: protobuf judges Any"}}]},
    ],
)
def test_what_the_json_mapping_accepts_passes(body: dict[str, object]) -> None:
    assert body_problem(body, FIELD) is None


@pytest.mark.parametrize(
    ("body", "message", "problem"),
    [
        ({"kind": "TYPE_NOPE"}, FIELD, "kind: must be one of TYPE_UNKNOWN, TYPE_DOUBLE"),
        ({"kind": 2**31}, FIELD, "kind: must be between -2147483648 and 2147483647"),
        ({"packed": "yes"}, FIELD, 'packed: must be true or false, not the string "yes"'),
        ({"options": [{"name": 5}]}, FIELD, "options[0].name: must be a string, not the number 5"),
        ({"double_value": "many"}, OPTION, 'double_value: must be a number, not the string "many"'),
        ({"positive_int_value": -1}, OPTION, "positive_int_value: must be between 0 and"),
        ({"string_value": ["a"]}, OPTION, "string_value: must be a string, not an array"),
        ({"fields": [1]}, STRUCT, "fields: must be an object, not an array"),
    ],
)
def test_each_kind_of_field_is_told_in_json_terms(
    body: dict[str, object], message: Descriptor, problem: str
) -> None:
    found = body_problem(body, message)
    assert found is not None
    assert found.startswith(problem), found


def test_floats_take_the_json_mapping_words_and_maps_take_objects() -> None:
    assert body_problem({"double_value": "NaN"}, OPTION) is None
    assert body_problem({"double_value": 1.5}, OPTION) is None
    assert body_problem({"fields": {"a": 1}}, STRUCT) is None

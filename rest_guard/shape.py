"""Does a parsed JSON body have the shape of a request message? Said in the request's terms.

protobuf's own JSON parser is the authority on what it accepts, but its errors speak
Python (`TypeError: 'NoneType' object is not iterable` for a body of `null`). This walks
the body along the message's descriptor first, so a client reads which field is wrong
and what it should be. Values follow the proto3 JSON mapping (integers may also come as
decimal strings), but null is refused: that mapping reads it as "not set", i.e. zero or
empty, and a client that sends `"quantity": null` did not mean zero. Leaving a field out
is the one way to not set it, as the OpenAPI document says.
"""

from __future__ import annotations

import math
import re

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

INTEGER_TEXT = re.compile(r"-?[0-9]+")
INTEGER_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
FLOAT_WORDS = ("NaN", "Infinity", "-Infinity")
# Well-known types whose JSON is not an object of their fields (a string, a number, any
# value); protobuf's parser checks them.
WRAPPED = ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
SPECIAL = ("Any", "Timestamp", "Duration", "FieldMask", "Struct", "Value", "ListValue")
OWN_JSON_FORMS = frozenset(
    {f"google.protobuf.{name}" for name in SPECIAL} | {f"google.protobuf.{kind}Value" for kind in WRAPPED}
)


def body_problem(body: object, message: Descriptor) -> str | None:
    """None when the body could be `message` in JSON, else what is wrong, naming the field."""
    if not isinstance(body, dict):
        return f"the body must be a JSON object (a {message.name}), not {_kind(body)}"
    return _message_problem(body, message, "")


def _message_problem(value: dict[str, object], message: Descriptor, path: str) -> str | None:
    fields = {**{f.json_name: f for f in message.fields}, **{f.name: f for f in message.fields}}
    for key, item in value.items():
        field = fields.get(key)
        where = f"{path}.{key}" if path else key
        if field is None:
            return f'{path or message.name} has no field named "{key}"'
        problem = _field_problem(item, field, where)
        if problem is not None:
            return problem
    return None


def _field_problem(value: object, field: FieldDescriptor, path: str) -> str | None:
    if value is None:
        return _null(path)
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        # Keys and values are left to protobuf's parser: no request of ours has a map.
        return None if isinstance(value, dict) else f"{path}: must be an object, not {_kind(value)}"
    if field.is_repeated:
        if not isinstance(value, list):
            return f"{path}: must be an array, not {_kind(value)}"
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            problem = _null(where) if item is None else _single_problem(item, field, where)
            if problem is not None:
                return problem
        return None
    return _single_problem(value, field, path)


def _single_problem(value: object, field: FieldDescriptor, path: str) -> str | None:
    if field.message_type is None:
        return _scalar_problem(value, field, path)
    if field.message_type.full_name in OWN_JSON_FORMS:
        return None
    if not isinstance(value, dict):
        return f"{path}: must be an object ({field.message_type.name}), not {_kind(value)}"
    return _message_problem(value, field.message_type, path)


def _scalar_problem(value: object, field: FieldDescriptor, path: str) -> str | None:
    kind = field.type
    if field.enum_type is not None:
        return _enum_problem(value, field.enum_type, path)
    if kind in INTEGER_RANGES:
        return _integer_problem(value, INTEGER_RANGES[kind], path)
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number or value in FLOAT_WORDS else f"{path}: must be a number, not {_kind(value)}"
    if kind == FieldDescriptor.TYPE_BOOL:
        return None if isinstance(value, bool) else f"{path}: must be true or false, not {_kind(value)}"
    # string, and bytes (base64 text)
    return None if isinstance(value, str) else f"{path}: must be a string, not {_kind(value)}"


def _integer_problem(value: object, bounds: tuple[int, int], path: str) -> str | None:
    low, high = bounds
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):  # a Python bool is an int, JSON's is not
        number = value
    elif (isinstance(value, float) and math.isfinite(value) and value.is_integer()) or (
        isinstance(value, str) and INTEGER_TEXT.fullmatch(value)
    ):
        number = int(value)
    if number is None:
        return f"{path}: must be a whole number, not {_kind(value)}"
    if not low <= number <= high:
        return f"{path}: must be between {low} and {high}"
    return None


def _enum_problem(value: object, enum: EnumDescriptor, path: str) -> str | None:
    if isinstance(value, str) and value in enum.values_by_name:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return _integer_problem(value, INTEGER_RANGES[FieldDescriptor.TYPE_INT32], path)
    return f"{path}: must be one of {', '.join(enum.values_by_name)}"


def _null(path: str) -> str:
    return f"{path}: must not be null; leave the field out to not set it"


def _kind(value: object) -> str:
    """How a JSON value is described to a client: by its JSON type, never a Python one."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string" if len(value) > 40 else f'the string "{value}"'
    if isinstance(value, list):
        return "an array"
    return "an object"

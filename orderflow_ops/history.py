"""Past versions of the event schemas, kept so every registry holds the same history.

`schemas/history/<version>/` keeps each past .proto as it was registered; `make generate`
builds each into `gen/history/<version>.binpb`. The classes here come from a descriptor pool
of their own, as the generated code holds the current version under the same names.
"""

from __future__ import annotations

import functools
from pathlib import Path

from google.protobuf.descriptor_pb2 import FileDescriptorSet
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from orderflow_platform import topics

HISTORY = Path(__file__).resolve().parents[1] / "gen" / "history"
# Per topic, the value message's past versions, oldest first.
PAST_VERSIONS = {topics.ORDERS_CREATED: ("v1",)}


@functools.cache
def _pool(version: str) -> DescriptorPool:
    pool = DescriptorPool()
    for file in FileDescriptorSet.FromString((HISTORY / f"{version}.binpb").read_bytes()).file:
        # buf adds fields of its own; without them each file is what protoc, and so the
        # producers of that version, registered.
        file.DiscardUnknownFields()
        pool.Add(file)
    return pool


def past_message(version: str, full_name: str) -> type[Message]:
    """The message class `full_name` as it was in a past version."""
    return GetMessageClass(_pool(version).FindMessageTypeByName(full_name))


def order_created(version: str) -> type[Message]:
    return past_message(version, "orderflow.order.v1.OrderCreated")

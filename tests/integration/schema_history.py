"""OrderCreated as version 1 was: compiled from schemas/history/ into a pool of its own (the
generated code holds V2 under the same names), for writing real V1 records."""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from google.protobuf.descriptor_pb2 import FileDescriptorSet
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from devstack.spec import ROOT

HISTORY = ROOT / "schemas" / "history"


@functools.cache
def order_created(version: str = "v1") -> type[Message]:
    """The OrderCreated message class of a past version."""
    well_known = resources.files("grpc_tools") / "_proto"
    with tempfile.TemporaryDirectory() as scratch:
        descriptors = Path(scratch) / "set.binpb"
        subprocess.run(
            [
                sys.executable, "-m", "grpc_tools.protoc",
                f"-I{HISTORY / version}", f"-I{well_known}",
                "--include_imports", f"--descriptor_set_out={descriptors}",
                "orderflow/order/v1/events.proto",
            ],
            check=True,
        )  # fmt: skip
        files = FileDescriptorSet.FromString(descriptors.read_bytes()).file
    pool = DescriptorPool()
    for file in files:
        pool.Add(file)
    return GetMessageClass(pool.FindMessageTypeByName("orderflow.order.v1.OrderCreated"))

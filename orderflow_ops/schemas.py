"""The event schemas in proto/ against the registry: a deploy step, before any producer.

`check` asks the registry whether each topic's current value schema is compatible with
every registered version of its subject; `register` registers them (what a producer's
first record would do); `history` lists a subject's versions with the fields each added
or removed. Schemas are sent as confluent-kafka's serializer sends them: a base64
serialized FileDescriptorProto, with the files it imports (other than Google's well-known
types) as references to their own subjects.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

import httpx
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.descriptor_pb2 import DescriptorProto, FileDescriptorProto
from google.protobuf.message import Message
from orderflow.inventory.v1 import events_pb2 as inventory
from orderflow.metrics.v1 import events_pb2 as metrics
from orderflow.order.v1.events_pb2 import OrderCreated

from aggregator.adapters import events as aggregator_topics
from inventory_svc.adapters import events as inventory_topics
from order_svc.adapters.kafka_log import TOPIC as ORDERS
from orderflow_ops.history import PAST_VERSIONS, past_message
from orderflow_platform.settings import RegistrySettings

# Each topic's value message: what its producers register under <topic>-value.
EVENTS: dict[str, type[Message]] = {
    ORDERS: OrderCreated,
    inventory_topics.COMMANDS: inventory.StockCommand,
    inventory_topics.STOCK: inventory.StockLevel,
    inventory_topics.LINE_RESULTS: inventory.LineResult,
    inventory_topics.PROGRESS: inventory.OrderProgress,
    inventory_topics.RESERVED: inventory.OrderReserved,
    inventory_topics.FAILED: inventory.OrderRejected,
    aggregator_topics.RATE: metrics.OrderRateWindow,
    aggregator_topics.WINDOW_ORDERS: metrics.WindowedOrder,
    aggregator_topics.WINDOWS: metrics.WindowState,
}
CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


@dataclass(frozen=True)
class Verdict:
    subject: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Version:
    version: int
    schema_id: int
    added: tuple[str, ...]
    removed: tuple[str, ...]


def _serialized(file: FileDescriptor) -> str:
    proto = FileDescriptorProto()
    file.CopyToProto(proto)
    return base64.b64encode(proto.SerializeToString()).decode()


def _own_imports(file: FileDescriptor) -> list[FileDescriptor]:
    return [dep for dep in file.dependencies if not dep.name.startswith("google/protobuf/")]


class SchemaCatalogue:
    def __init__(self, settings: RegistrySettings) -> None:
        self._http = httpx.Client(base_url=settings.url, headers=CONTENT_TYPE, timeout=10.0)

    def _body(self, file: FileDescriptor) -> dict[str, Any]:
        references = [
            {"name": dep.name, "subject": dep.name, "version": self._latest(dep.name)}
            for dep in _own_imports(file)
        ]
        return {"schemaType": "PROTOBUF", "schema": _serialized(file), "references": references}

    def _latest(self, subject: str) -> int:
        answer = self._http.get(f"/subjects/{quote(subject, safe='')}/versions/latest")
        if answer.status_code == httpx.codes.NOT_FOUND:
            raise LookupError(
                f"{subject} is imported but not registered yet: run `orderflow schemas register`"
            )
        return int(answer.raise_for_status().json()["version"])

    def _versions(self, subject: str) -> list[int]:
        answer = self._http.get(f"/subjects/{subject}/versions")
        if answer.status_code == httpx.codes.NOT_FOUND:
            return []
        return [int(v) for v in answer.raise_for_status().json()]

    def check(self) -> Iterator[Verdict]:
        for topic, message in EVENTS.items():
            subject = f"{topic}-value"
            versions = self._versions(subject)
            if not versions:
                yield Verdict(subject, True, "not registered yet: its first producer registers it")
                continue
            try:
                body = self._body(cast(FileDescriptor, message.DESCRIPTOR.file))
            except LookupError as missing:
                yield Verdict(subject, False, str(missing))
                continue
            answers = {
                v: self._http.post(f"/compatibility/subjects/{subject}/versions/{v}", json=body)
                for v in versions
            }
            unchecked = {v: a.json().get("message", a.text) for v, a in answers.items() if not a.is_success}
            refused = [v for v, a in answers.items() if a.is_success and not a.json()["is_compatible"]]
            if unchecked:
                yield Verdict(subject, False, f"the registry could not check it: {unchecked}")
            elif refused:
                yield Verdict(subject, False, f"incompatible with versions {refused}")
            else:
                yield Verdict(subject, True, f"compatible with all {len(versions)} versions")

    def register(self) -> Iterator[Verdict]:
        """Registers each topic's past versions, oldest first, then its current one: a new
        registry gets the same history as one that lived through every version."""
        for topic, message in EVENTS.items():
            name = message.DESCRIPTOR.full_name
            versions = [past_message(v, name) for v in PAST_VERSIONS.get(topic, ())] + [message]
            for version in versions:
                file = cast(FileDescriptor, version.DESCRIPTOR.file)
                for dep in _own_imports(file):
                    yield self._register(dep.name, dep)
                yield self._register(f"{topic}-value", file)

    def _register(self, subject: str, file: FileDescriptor) -> Verdict:
        answer = self._http.post(f"/subjects/{quote(subject, safe='')}/versions", json=self._body(file))
        if answer.is_success:
            return Verdict(subject, True, f"schema id {answer.json()['id']}")
        return Verdict(
            subject, False, f"HTTP {answer.status_code}: {answer.json().get('message', answer.text)}"
        )

    def history(self, topic: str) -> list[Version]:
        """The subject's versions, oldest first, with the fields of its message each changed."""
        subject, name = f"{topic}-value", EVENTS[topic].DESCRIPTOR.name
        history: list[Version] = []
        previous: set[str] = set()
        for version in self._versions(subject):
            registered = self._http.get(f"/subjects/{subject}/versions/{version}").raise_for_status().json()
            file = FileDescriptorProto.FromString(base64.b64decode(registered["schema"]))
            fields = {f"{f.name} = {f.number}" for f in _message(file, name).field}
            added, removed = sorted(fields - previous), sorted(previous - fields)
            history.append(Version(version, int(registered["id"]), tuple(added), tuple(removed)))
            previous = fields
        return history


def _message(file: FileDescriptorProto, name: str) -> DescriptorProto:
    return next(m for m in file.message_type if m.name == name)

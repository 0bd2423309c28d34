"""The registry refuses an incompatible OrderCreated, and a producer whose schema it refuses
does not report ready until the registry takes it."""

from __future__ import annotations

import asyncio
import base64
import socket

import grpc
import httpx
from google.protobuf.descriptor_pb2 import FieldDescriptorProto, FileDescriptorProto
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health_pb2, health_pb2_grpc
from orderflow.order.v1.events_pb2 import OrderCreated
from prometheus_client import REGISTRY

from orderflow_ops.registry import RegistryAdmin
from orderflow_platform import grpc_server
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.schema_gate import schemas_registered
from orderflow_platform.settings import Settings
from orderflow_platform.shutdown import Shutdown
from tests.integration.helpers import eventually_async

SUBJECT = "orders.created-value"


def retyped_order_created() -> tuple[FileDescriptorProto, type[Message]]:
    """OrderCreated with total_cents a string: a change no V1 or V2 reader can take."""
    file = FileDescriptorProto()
    OrderCreated.DESCRIPTOR.file.CopyToProto(file)
    (message,) = [m for m in file.message_type if m.name == "OrderCreated"]
    (total,) = [f for f in message.field if f.name == "total_cents"]
    total.type = FieldDescriptorProto.TYPE_STRING
    pool = DescriptorPool()
    pool.AddSerializedFile(OrderCreated.DESCRIPTOR.file.dependencies[0].serialized_pb)
    pool.Add(file)
    return file, GetMessageClass(pool.FindMessageTypeByName("orderflow.order.v1.OrderCreated"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def versions(settings: Settings) -> list[tuple[int, int]]:
    base = f"{settings.registry.url}/subjects/{SUBJECT}/versions"
    return [(v, httpx.get(f"{base}/{v}").json()["id"]) for v in httpx.get(base).json()]


def test_an_incompatible_order_created_is_refused_with_the_registrys_reason(settings: Settings) -> None:
    file, _ = retyped_order_created()
    before = versions(settings)
    answer = RegistryAdmin(settings.registry).register(
        SUBJECT, base64.b64encode(file.SerializeToString()).decode()
    )
    assert answer.status_code == 409, answer.text
    assert "Field type changed" in answer.json()["message"], answer.text
    assert versions(settings) == before


def test_a_producer_whose_schema_is_refused_is_not_ready_until_the_registry_takes_it(
    settings: Settings, unique: str
) -> None:
    topic = f"test.refused.{unique}"
    registry = clients.registry_client(settings.registry)
    ProtobufCodec(registry, OrderCreated).encode(topic, OrderCreated(order_id="first"))
    admin = RegistryAdmin(settings.registry)
    admin.set_compatibility("BACKWARD_TRANSITIVE", f"{topic}-value")
    _, retyped = retyped_order_created()
    codecs = [(topic, ProtobufCodec(clients.registry_client(settings.registry), retyped))]

    port = free_port()

    async def scenario() -> None:
        shutdown = Shutdown()
        served = asyncio.create_task(
            grpc_server.serve(
                lambda server: None,
                [],
                f"127.0.0.1:{port}",
                shutdown,
                until_ready=lambda: schemas_registered(codecs, shutdown),
            )
        )
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                health = health_pb2_grpc.HealthStub(channel)

                async def status() -> int:
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
                    return int(reply.status)

                await eventually_async(
                    lambda: REGISTRY.get_sample_value("orderflow_schemas_refused") == 1, 30
                )
                assert await status() == health_pb2.HealthCheckResponse.NOT_SERVING
                # A person decides: this subject may break its readers.
                await asyncio.to_thread(admin.set_compatibility, "NONE", f"{topic}-value")
                for _ in range(300):
                    if await status() == health_pb2.HealthCheckResponse.SERVING:
                        break
                    await asyncio.sleep(0.1)
                assert await status() == health_pb2.HealthCheckResponse.SERVING
        finally:
            shutdown.request()
            await served

    asyncio.run(scenario())

"""One way to run a gRPC service: health, reflection, trace ids, graceful shutdown, and
INVALID_ARGUMENT for request bytes that do not decode."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from orderflow_platform.logs import bind_trace_id, get_logger
from orderflow_platform.metrics import MetricsInterceptor
from orderflow_platform.shutdown import Shutdown

MAX_MESSAGE_BYTES = 1024 * 1024
# Time kept back from the caller's deadline to send the answer in.
DEADLINE_MARGIN_SECONDS = 0.2
log = get_logger(__name__)


def time_budget(context: grpc.aio.ServicerContext, without_deadline: float) -> float:
    """How long a call may wait on its dependencies and still answer inside the caller's
    deadline (so a dependency that is down gives UNAVAILABLE, never DEADLINE_EXCEEDED)."""
    remaining = context.time_remaining()
    if remaining is None:
        return without_deadline
    return max(float(remaining) - DEADLINE_MARGIN_SECONDS, 0.0)


def bind_request_trace_id(context: grpc.aio.ServicerContext) -> str:
    """The caller's trace id (x-request-id, or W3C traceparent's trace id), else a new one."""
    metadata = dict(context.invocation_metadata() or ())
    request_id = metadata.get("x-request-id")
    traceparent = metadata.get("traceparent")
    if isinstance(traceparent, str) and traceparent.count("-") == 3:
        request_id = request_id or traceparent.split("-")[1]
    return bind_trace_id(request_id if isinstance(request_id, str) and request_id else None)


async def abort_invalid_argument(
    context: grpc.aio.ServicerContext, violations: Sequence[tuple[str, str]]
) -> None:
    """INVALID_ARGUMENT naming each field, with google.rpc.BadRequest details."""
    details = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in violations
        ]
    )
    packed = any_pb2.Any()
    packed.Pack(details)
    message = "; ".join(f"{f}: {d}" for f, d in violations)
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message, details=[packed])
    await context.abort_with_status(rpc_status.to_status(status))


@dataclass(frozen=True)
class Undecodable:
    """What a request deserializer yields for bytes that are not its message."""

    error: str


class RequestDecodingInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """INVALID_ARGUMENT for request bytes that are not the method's message.

    grpc decodes a request before any servicer runs, and answers a decoding error with
    UNKNOWN, as if the server had failed. Here the decoder hands such bytes on as
    `Undecodable`, and the call is refused naming the message it should have been.
    Only unary-unary methods are wrapped: every orderflow service method is one.
    """

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None or handler.request_deserializer is None:
            return handler
        decode, inner = handler.request_deserializer, handler.unary_unary

        def tolerant_decode(data: bytes) -> Any:
            try:
                return decode(data)
            except DecodeError as error:
                return Undecodable(str(error))

        async def refuse_undecodable(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, Undecodable):
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT, f"the request is not valid protobuf: {request.error}"
                )
            return await inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            refuse_undecodable,
            request_deserializer=tolerant_decode,
            response_serializer=handler.response_serializer,
        )


@dataclass
class RunningServer:
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    health_names: tuple[str, ...]

    async def report(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in self.health_names:
            await self.health.set(name, status)

    async def drain(self, grace_seconds: float) -> None:
        """Reports NOT_SERVING to health checks, then lets in-flight calls finish."""
        log.info("draining", grace_seconds=grace_seconds)
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_seconds)


class BoundPort:
    """The port a server listens on, known once it has started: the one the system chose when
    its address asks for port 0."""

    def __init__(self) -> None:
        self._port = 0
        self._bound = asyncio.Event()

    def set(self, port: int) -> None:
        self._port = port
        self._bound.set()

    async def get(self) -> int:
        await self._bound.wait()
        return self._port


async def start(
    register: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    address: str,
    *,
    serving: bool = True,
) -> RunningServer:
    """A started server with the services, health, reflection and RPC metrics; its health
    says NOT_SERVING until `RunningServer.serving()` when started with `serving=False`."""
    server = grpc.aio.server(
        # Metrics outermost, so a refused undecodable request is counted with its code.
        interceptors=[MetricsInterceptor(), RequestDecodingInterceptor()],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    port = server.add_insecure_port(address)
    running = RunningServer(server, health_servicer, port, ("", *service_names))
    await running.report(serving)
    await server.start()
    log.info("serving", address=address, port=port, services=list(service_names), ready=serving)
    return running


async def serve(
    register: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    address: str,
    shutdown: Shutdown,
    *,
    grace_seconds: float = 10.0,
    until_ready: Callable[[], Awaitable[bool]] | None = None,
    bound: BoundPort | None = None,
) -> None:
    """Serves until shutdown is requested, then drains. With `until_ready`, health says
    NOT_SERVING until it returns True; `bound` is told the port once listening."""
    running = await start(register, service_names, address, serving=until_ready is None)
    if bound is not None:
        bound.set(running.port)
    if until_ready is not None and await until_ready():
        await running.report(True)
        log.info("ready")
    await shutdown.wait_async()
    await running.drain(grace_seconds)

"""Prometheus metrics: the /metrics endpoint and the gRPC server metrics every service shares."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram, start_http_server

RPCS = Counter("orderflow_grpc_server_handled_total", "RPCs completed", ["method", "code"])
# By status code as well: a fast INVALID_ARGUMENT and a slow UNAVAILABLE are different stories.
RPC_SECONDS = Histogram(
    "orderflow_grpc_server_handling_seconds",
    "RPC latency",
    ["method", "code"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)


def serve_metrics(port: int) -> None:
    """Exposes /metrics on the port (0: not at all) from a daemon thread."""
    if port:
        start_http_server(port, addr="127.0.0.1")


class MetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Counts unary RPCs by method and status code and times them."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        method: str = details.method
        inner = handler.unary_unary

        async def observed(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                return await inner(request, context)
            except BaseException:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            finally:
                RPCS.labels(method, code.name).inc()
                RPC_SECONDS.labels(method, code.name).observe(time.perf_counter() - started)

        return grpc.unary_unary_rpc_method_handler(
            observed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

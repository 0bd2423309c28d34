"""`python -m aggregator`: one replica — the stream processor and MetricsService over gRPC."""

from __future__ import annotations

import asyncio
import os

from orderflow.metrics.v1 import metrics_service_pb2_grpc

from aggregator import bootstrap
from aggregator.entrypoints.grpc_api import SERVICE, MetricsServicer
from orderflow_platform import grpc_server
from orderflow_platform.logs import configure_logging
from orderflow_platform.metrics import serve_metrics
from orderflow_platform.schema_gate import schemas_registered
from orderflow_platform.settings import load_settings
from orderflow_platform.shutdown import BackgroundLoop, Shutdown


async def main() -> None:
    settings = load_settings()
    instance = os.environ.get("AGGREGATOR_INSTANCE", "1")
    configure_logging(settings.logging, service=f"aggregator-{instance}")
    shutdown = Shutdown().install()
    serve_metrics(settings.metrics.port)
    # A schema the registry refuses would fail every transaction: wait, not ready, instead.
    if not await schemas_registered(bootstrap.written_schemas(settings), shutdown):
        return
    loop = bootstrap.stream_loop(settings, instance)
    # The Kafka loop blocks, so it runs beside the event loop that serves gRPC.
    stream = BackgroundLoop(loop.run, shutdown, "aggregator-stream").start()
    address = os.environ.get("AGGREGATOR_ADDRESS", "0.0.0.0:50054")
    try:
        # Ready (serving) once the windows are rebuilt and the published ones read.
        while not (loop.assigned.is_set() or shutdown.requested):
            await asyncio.sleep(0.05)
        rates = await asyncio.to_thread(bootstrap.rate_view(settings).start)
        await grpc_server.serve(
            lambda server: metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(
                MetricsServicer(rates), server
            ),
            [SERVICE],
            address,
            shutdown,
        )
        rates.stop()
    finally:
        shutdown.request()
        crashed = stream.join()
    if crashed:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())

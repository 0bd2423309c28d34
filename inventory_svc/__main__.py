"""`python -m inventory_svc`: one replica — the stream processor and the gRPC server."""

from __future__ import annotations

import asyncio
import os

from orderflow.inventory.v1 import inventory_service_pb2_grpc

from inventory_svc import bootstrap
from inventory_svc.entrypoints.grpc_api import SERVICE
from orderflow_platform import grpc_server
from orderflow_platform.logs import configure_logging, get_logger
from orderflow_platform.metrics import serve_metrics
from orderflow_platform.settings import load_settings
from orderflow_platform.shutdown import BackgroundLoop, Shutdown


async def main() -> None:
    settings = load_settings()
    instance = os.environ.get("INVENTORY_SVC_INSTANCE", "1")
    configure_logging(settings.logging, service=f"inventory_svc-{instance}")
    shutdown = Shutdown().install()
    serve_metrics(settings.metrics.port)
    loop = bootstrap.stream_loop(settings, instance)
    # The Kafka loop blocks, so it runs beside the event loop that serves gRPC.
    stream = BackgroundLoop(loop.run, shutdown, "inventory-stream").start()
    address = os.environ.get("INVENTORY_SVC_ADDRESS", "0.0.0.0:50052")
    try:
        # Serve (and so report ready) only once this replica has joined the group and rebuilt
        # its state: before that, a SetStock would wait on an owner that is not there yet.
        while not (loop.assigned.is_set() or shutdown.requested):
            await asyncio.sleep(0.05)
        async with bootstrap.read_model_pool(settings) as read_models:
            servicer, commands, changes = bootstrap.servicer(settings, read_models)
            await grpc_server.serve(
                lambda server: inventory_service_pb2_grpc.add_InventoryServiceServicer_to_server(
                    servicer, server
                ),
                [SERVICE],
                address,
                shutdown,
            )
            changes.stop()
            get_logger().info("stopped", undelivered=commands.close())
    finally:
        shutdown.request()
        crashed = stream.join()
    if crashed:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())

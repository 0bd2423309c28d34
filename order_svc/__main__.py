"""`python -m order_svc`: the order service's gRPC server on :50051."""

from __future__ import annotations

import asyncio
import os

from orderflow.order.v1 import order_service_pb2_grpc

from order_svc import bootstrap
from order_svc.entrypoints.grpc_api import SERVICE, OrderServicer
from orderflow_platform import grpc_server
from orderflow_platform.logs import configure_logging, get_logger
from orderflow_platform.metrics import serve_metrics
from orderflow_platform.schema_gate import schemas_registered
from orderflow_platform.settings import load_settings
from orderflow_platform.shutdown import Shutdown


async def main() -> None:
    settings = load_settings()
    configure_logging(settings.logging, service="order_svc")
    shutdown = Shutdown().install()
    serve_metrics(settings.metrics.port)
    order_log = bootstrap.order_log(settings)
    address = os.environ.get("ORDER_SVC_ADDRESS", "0.0.0.0:50051")
    try:
        async with bootstrap.ledger_pool(settings) as pool, bootstrap.instance_lock(settings) as instance:
            ledger = bootstrap.request_ledger(pool, instance)
            servicer = OrderServicer(order_log, ledger, bootstrap.order_queries(pool))
            await grpc_server.serve(
                lambda server: order_service_pb2_grpc.add_OrderServiceServicer_to_server(servicer, server),
                [SERVICE],
                address,
                shutdown,
                until_ready=lambda: schemas_registered(order_log.schemas(), shutdown),
            )
    finally:
        undelivered = order_log.close()
        get_logger().info("stopped", undelivered=undelivered)


if __name__ == "__main__":
    asyncio.run(main())

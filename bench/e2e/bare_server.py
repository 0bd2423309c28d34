"""A bare grpc.aio server that answers CreateOrder at once: the front door's limit.

    .venv/bin/python -m bench.e2e.bare_server 50099

No validation, no claim, no append: what is left is grpc.aio and protobuf in one
Python process, the ceiling any order_svc written on them can reach.
"""

from __future__ import annotations

import asyncio
import sys

import grpc
from orderflow.order.v1 import order_service_pb2 as pb
from orderflow.order.v1 import order_service_pb2_grpc as pb_grpc

ANSWER = pb.CreateOrderResponse(
    order_id="00000000-0000-0000-0000-000000000000", status=pb.ORDER_STATUS_PENDING
)


class AnswerAtOnce(pb_grpc.OrderServiceServicer):
    async def CreateOrder(
        self, request: pb.CreateOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateOrderResponse:
        return ANSWER


async def serve(port: int) -> None:
    server = grpc.aio.server()
    pb_grpc.add_OrderServiceServicer_to_server(AnswerAtOnce(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))

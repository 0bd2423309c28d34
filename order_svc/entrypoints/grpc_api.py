"""OrderService over gRPC: proto in, domain command through the handler, proto out."""

from __future__ import annotations

import asyncio

import grpc
from orderflow.order.v1 import order_service_pb2 as pb
from orderflow.order.v1 import order_service_pb2_grpc as pb_grpc

from order_svc import handlers
from order_svc.domain.model import CreateOrder, InvalidOrder, OrderLine
from order_svc.domain.ports import OrderLog, RequestLedger, Unavailable
from orderflow_platform.grpc_server import abort_invalid_argument, bind_request_trace_id
from orderflow_platform.logs import get_logger

log = get_logger(__name__)
SERVICE = pb.DESCRIPTOR.services_by_name["OrderService"].full_name


# Without a client deadline an append still ends: librdkafka's delivery timeout bounds it.
DEFAULT_BUDGET_SECONDS = 15.0
DEADLINE_MARGIN_SECONDS = 0.2


def _budget(context: grpc.aio.ServicerContext) -> float:
    remaining = context.time_remaining()
    if remaining is None:
        return DEFAULT_BUDGET_SECONDS
    return max(float(remaining) - DEADLINE_MARGIN_SECONDS, 0.0)


def to_command(request: pb.CreateOrderRequest) -> CreateOrder:
    return CreateOrder(
        user_id=request.user_id,
        lines=tuple(OrderLine(i.sku, i.quantity, i.unit_price_cents) for i in request.items),
        total_cents=request.total_cents,
        idempotency_key=request.idempotency_key if request.HasField("idempotency_key") else None,
    )


class OrderServicer(pb_grpc.OrderServiceServicer):
    def __init__(self, order_log: OrderLog, ledger: RequestLedger) -> None:
        self._log = order_log
        self._ledger = ledger

    async def CreateOrder(
        self, request: pb.CreateOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateOrderResponse:
        trace_id = bind_request_trace_id(context)
        try:
            # Answer UNAVAILABLE inside the caller's deadline rather than let it expire.
            async with asyncio.timeout(_budget(context)):
                order = await handlers.create_order(to_command(request), self._log, self._ledger, trace_id)
        except InvalidOrder as invalid:
            log.info("order refused", reason=str(invalid))
            await abort_invalid_argument(context, [(v.field, v.description) for v in invalid.violations])
            raise
        except (Unavailable, TimeoutError) as error:
            log.warning("dependency unavailable", error=str(error) or type(error).__name__)
            await context.abort(grpc.StatusCode.UNAVAILABLE, "orders cannot be taken right now; retry later")
            raise
        log.info("order accepted", order_id=order.order_id, user_id=order.user_id)
        return pb.CreateOrderResponse(order_id=order.order_id, status=pb.ORDER_STATUS_PENDING)

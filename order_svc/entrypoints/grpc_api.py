"""OrderService over gRPC: proto in, domain command through the handler, proto out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from orderflow.order.v1 import order_service_pb2 as pb
from orderflow.order.v1 import order_service_pb2_grpc as pb_grpc
from orderflow.order.v1.events_pb2 import OrderItem

from order_svc import handlers
from order_svc.domain.model import CreateOrder, InvalidOrder, OrderLine
from order_svc.domain.ports import OrderLog, OrderQueries, RequestLedger, Unavailable
from order_svc.domain.queries import ListOrders, OrderNotFound, OrderView, Status, page_token
from orderflow_platform.grpc_server import abort_invalid_argument, bind_request_trace_id, time_budget
from orderflow_platform.logs import get_logger

log = get_logger(__name__)
SERVICE = pb.DESCRIPTOR.services_by_name["OrderService"].full_name
STATUSES = {
    Status.PENDING: pb.ORDER_STATUS_PENDING,
    Status.CONFIRMED: pb.ORDER_STATUS_CONFIRMED,
    Status.REJECTED: pb.ORDER_STATUS_REJECTED,
}


# Without a client deadline an append still ends: librdkafka's delivery timeout bounds it.
DEFAULT_BUDGET_SECONDS = 15.0


def to_command(request: pb.CreateOrderRequest) -> CreateOrder:
    return CreateOrder(
        user_id=request.user_id,
        lines=tuple(OrderLine(i.sku, i.quantity, i.unit_price_cents) for i in request.items),
        total_cents=request.total_cents,
        idempotency_key=request.idempotency_key if request.HasField("idempotency_key") else None,
        currency=request.currency if request.HasField("currency") else None,
        contact_email=request.contact_email if request.HasField("contact_email") else None,
    )


def to_proto(order: OrderView) -> pb.Order:
    message = pb.Order(
        order_id=order.order_id,
        user_id=order.user_id,
        items=[
            OrderItem(sku=i.sku, quantity=i.quantity, unit_price_cents=i.unit_price_cents)
            for i in order.lines
        ],
        total_cents=order.total_cents,
        currency=order.currency,
        status=STATUSES[order.status],
        reason=order.reason,
    )
    message.created_at.FromDatetime(order.created_at)
    message.updated_at.FromDatetime(order.updated_at)
    return message


@asynccontextmanager
async def answering(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    """Turns the domain's refusals and outages into gRPC status codes."""
    try:
        yield
    except InvalidOrder as invalid:
        log.info("request refused", reason=str(invalid))
        await abort_invalid_argument(context, [(v.field, v.description) for v in invalid.violations])
        raise
    except OrderNotFound as missing:
        await context.abort(grpc.StatusCode.NOT_FOUND, f"order {missing} not found")
        raise
    except (Unavailable, TimeoutError) as error:
        log.warning("dependency unavailable", error=str(error) or type(error).__name__)
        await context.abort(grpc.StatusCode.UNAVAILABLE, "orders cannot be served right now; retry later")
        raise


class OrderServicer(pb_grpc.OrderServiceServicer):
    def __init__(self, order_log: OrderLog, ledger: RequestLedger, queries: OrderQueries) -> None:
        self._log = order_log
        self._ledger = ledger
        self._queries = queries

    async def CreateOrder(
        self, request: pb.CreateOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateOrderResponse:
        trace_id = bind_request_trace_id(context)
        # Answer UNAVAILABLE inside the caller's deadline rather than let it expire.
        async with answering(context), asyncio.timeout(time_budget(context, DEFAULT_BUDGET_SECONDS)):
            order = await handlers.create_order(to_command(request), self._log, self._ledger, trace_id)
        # Per order: at debug, so a loaded service spends its time on orders, not on its log.
        log.debug("order accepted", order_id=order.order_id, user_id=order.user_id)
        return pb.CreateOrderResponse(order_id=order.order_id, status=pb.ORDER_STATUS_PENDING)

    async def GetOrder(self, request: pb.GetOrderRequest, context: grpc.aio.ServicerContext) -> pb.Order:
        bind_request_trace_id(context)
        async with answering(context):
            return to_proto(await handlers.get_order(request.order_id, self._queries))

    async def ListOrders(
        self, request: pb.ListOrdersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListOrdersResponse:
        bind_request_trace_id(context)
        query = ListOrders(request.user_id, request.page_size, request.page_token)
        async with answering(context):
            page = await handlers.list_orders(query, self._queries)
        return pb.ListOrdersResponse(
            orders=[to_proto(o) for o in page.orders], next_page_token=page_token(page.next_page)
        )

"""InventoryService over gRPC. SetStock is recorded as a command to the SKU's owner and
answered once the owner has applied it; GetStock answers from the stock read model."""

from __future__ import annotations

import uuid

import grpc
import psycopg
from orderflow.inventory.v1 import inventory_service_pb2 as pb
from orderflow.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from orderflow.inventory.v1.events_pb2 import StockCommand
from psycopg_pool import AsyncConnectionPool

from inventory_svc.adapters.events import COMMANDS, stock_command_record
from inventory_svc.adapters.postgres_stock import stock_level
from inventory_svc.adapters.stock_changes import StockChanges
from inventory_svc.domain.commands import SetOnHand
from inventory_svc.domain.requests import set_stock_violations, sku_violations
from inventory_svc.domain.stock import Stock
from orderflow_platform.grpc_server import abort_invalid_argument, bind_request_trace_id, time_budget
from orderflow_platform.kafka.clients import trace_headers
from orderflow_platform.kafka.delivery import AcknowledgedProducer, DeliveryFailed
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.logs import get_logger

log = get_logger(__name__)
SERVICE = pb.DESCRIPTOR.services_by_name["InventoryService"].full_name
# Applying waits for the SKU's owner, which may be rebuilding its state after a rebalance,
# so SetStock may use the caller's whole deadline.
DEFAULT_APPLY_SECONDS = 10.0


def to_proto(stock: Stock) -> pb.Stock:
    return pb.Stock(sku=stock.sku, on_hand=stock.on_hand, reserved=stock.reserved, available=stock.available)


class InventoryServicer(pb_grpc.InventoryServiceServicer):
    def __init__(
        self,
        commands: AcknowledgedProducer,
        codec: ProtobufCodec[StockCommand],
        changes: StockChanges,
        read_models: AsyncConnectionPool,
    ) -> None:
        self._commands, self._codec, self._changes, self._read_models = commands, codec, changes, read_models

    async def SetStock(self, request: pb.SetStockRequest, context: grpc.aio.ServicerContext) -> pb.Stock:
        trace_id = bind_request_trace_id(context)
        quantity = request.quantity if request.HasField("quantity") else None
        if violations := set_stock_violations(request.sku, quantity):
            await abort_invalid_argument(context, violations)
        request_id = uuid.uuid4().hex
        command = stock_command_record(SetOnHand(request.sku, request_id, request.quantity))
        try:
            value = self._codec.encode(COMMANDS, command)
            await self._commands.send(COMMANDS, request.sku.encode(), value, trace_headers(trace_id))
        except DeliveryFailed as error:
            log.warning("stock command not recorded", error=str(error))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "stock cannot be set right now; retry later")
        stock = await self._changes.applied(request_id, time_budget(context, DEFAULT_APPLY_SECONDS))
        if stock is None:
            await context.abort(
                grpc.StatusCode.UNAVAILABLE, "the change is recorded but inventory has not applied it yet"
            )
            raise AssertionError("unreachable: abort raises")
        if stock.on_hand != request.quantity:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"quantity: {request.quantity} is below the {stock.reserved} units reserved",
            )
        log.info("stock set", sku=request.sku, on_hand=stock.on_hand)
        return to_proto(stock)

    async def GetStock(self, request: pb.GetStockRequest, context: grpc.aio.ServicerContext) -> pb.Stock:
        bind_request_trace_id(context)
        if violations := sku_violations(request.sku):
            await abort_invalid_argument(context, violations)
        try:
            level = await stock_level(self._read_models, request.sku)
        except psycopg.OperationalError as error:  # includes the pool's own timeout
            log.warning("read model unavailable", error=str(error))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "stock cannot be read right now; retry later")
            raise
        if level is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"sku: no stock was ever set for {request.sku}")
            raise AssertionError("unreachable: abort raises")
        return to_proto(Stock(level.sku, level.on_hand, level.reserved))

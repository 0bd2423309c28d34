"""InventoryService over gRPC: proto in, the use case through its ports, proto or status out.
SetStock is recorded as a command to the SKU's owner and answered once the owner has applied
it; GetStock answers from the stock read model."""

from __future__ import annotations

import grpc
from orderflow.inventory.v1 import inventory_service_pb2 as pb
from orderflow.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from inventory_svc import handlers
from inventory_svc.domain.ports import AppliedChanges, StockCommandLog, StockLevels, Unavailable
from inventory_svc.domain.requests import BelowReserved, InvalidStockRequest, NoStock, NotApplied, SetStock
from inventory_svc.domain.stock import Stock
from orderflow_platform.grpc_server import abort_invalid_argument, bind_request_trace_id, time_budget
from orderflow_platform.logs import get_logger

log = get_logger(__name__)
SERVICE = pb.DESCRIPTOR.services_by_name["InventoryService"].full_name
# Applying waits for the SKU's owner, which may be rebuilding its state after a rebalance,
# so SetStock may use the caller's whole deadline.
DEFAULT_APPLY_SECONDS = 10.0


def to_proto(stock: Stock) -> pb.Stock:
    return pb.Stock(sku=stock.sku, on_hand=stock.on_hand, reserved=stock.reserved, available=stock.available)


class InventoryServicer(pb_grpc.InventoryServiceServicer):
    def __init__(self, commands: StockCommandLog, changes: AppliedChanges, levels: StockLevels) -> None:
        self._commands, self._changes, self._levels = commands, changes, levels

    async def SetStock(self, request: pb.SetStockRequest, context: grpc.aio.ServicerContext) -> pb.Stock:
        trace_id = bind_request_trace_id(context)
        command = SetStock(request.sku, request.quantity if request.HasField("quantity") else None)
        try:
            stock = await handlers.set_stock(
                command,
                trace_id,
                self._commands,
                self._changes,
                lambda: time_budget(context, DEFAULT_APPLY_SECONDS),
            )
        except InvalidStockRequest as invalid:
            await abort_invalid_argument(context, invalid.violations)
            raise
        except NotApplied:
            message = "the change is recorded but inventory has not applied it yet"
            await context.abort(grpc.StatusCode.UNAVAILABLE, message)
            raise
        except Unavailable as error:
            log.warning("stock command not recorded", error=str(error))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "stock cannot be set right now; retry later")
            raise
        except BelowReserved as below:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(below))
            raise
        log.info("stock set", sku=stock.sku, on_hand=stock.on_hand)
        return to_proto(stock)

    async def GetStock(self, request: pb.GetStockRequest, context: grpc.aio.ServicerContext) -> pb.Stock:
        bind_request_trace_id(context)
        try:
            return to_proto(await handlers.get_stock(request.sku, self._levels))
        except InvalidStockRequest as invalid:
            await abort_invalid_argument(context, invalid.violations)
            raise
        except Unavailable as error:
            log.warning("read model unavailable", error=str(error))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "stock cannot be read right now; retry later")
            raise
        except NoStock:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"sku: no stock was ever set for {request.sku}")
            raise

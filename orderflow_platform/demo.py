"""Demo stock through InventoryService's public gRPC API, as any client would set it."""

from __future__ import annotations

import grpc
from orderflow.inventory.v1 import inventory_service_pb2 as pb
from orderflow.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

DEMO_SKUS = ("SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5")


def seed_stock(target: str, quantity: int, skus: tuple[str, ...] = DEMO_SKUS) -> list[pb.Stock]:
    """Sets each SKU's on-hand quantity; returns the stock each now has."""
    with grpc.insecure_channel(target) as channel:
        stub = pb_grpc.InventoryServiceStub(channel)
        return [stub.SetStock(pb.SetStockRequest(sku=sku, quantity=quantity), timeout=30) for sku in skus]

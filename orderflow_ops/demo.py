"""Demo stock through InventoryService's public gRPC API, as any client would set it."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from orderflow.inventory.v1 import inventory_service_pb2 as pb
from orderflow.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

DEMO_SKUS = ("SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5")


def seed_stock(target: str, quantity: int, skus: tuple[str, ...] = DEMO_SKUS) -> Iterator[tuple[str, str]]:
    """Sets each SKU's on-hand quantity; yields (sku, what became of it) as each answers."""
    with grpc.insecure_channel(target) as channel:
        stub = pb_grpc.InventoryServiceStub(channel)
        for sku in skus:
            try:
                s = stub.SetStock(pb.SetStockRequest(sku=sku, quantity=quantity), timeout=30)
            except grpc.RpcError as refused:
                yield sku, f"not set: {refused.code().name}: {refused.details()}"
                continue
            yield sku, f"on hand {s.on_hand}, reserved {s.reserved}, available {s.available}"

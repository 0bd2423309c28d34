"""gRPC requests the services must refuse as INVALID_ARGUMENT, directly and through Envoy:
bytes that are not the request message, and SetStock without its quantity (issue 9,
defect 6)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from orderflow.inventory.v1 import inventory_service_pb2 as pb
from orderflow.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

ENVOY = "127.0.0.1:8080"
# Field 1 (user_id / sku) as length-delimited, with a length varint that never ends.
MALFORMED = b"\x0a\xff\xff\xff\x0f"
METHODS = {
    "/orderflow.order.v1.OrderService/CreateOrder": ["127.0.0.1:50051", ENVOY],
    "/orderflow.order.v1.OrderService/GetOrder": ["127.0.0.1:50051", ENVOY],
    "/orderflow.inventory.v1.InventoryService/SetStock": ["127.0.0.1:50052", "127.0.0.1:50053", ENVOY],
    "/orderflow.inventory.v1.InventoryService/GetStock": ["127.0.0.1:50052", ENVOY],
}


CALLS = [(method, address) for method, addresses in METHODS.items() for address in addresses]


@pytest.mark.parametrize(("method", "address"), CALLS)
def test_malformed_protobuf_is_invalid_argument(method: str, address: str) -> None:
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as refused:
            call(MALFORMED, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert "not valid protobuf" in (refused.value.details() or "")


@pytest.fixture
def inventory() -> Iterator[pb_grpc.InventoryServiceStub]:
    with grpc.insecure_channel("127.0.0.1:50052") as channel:
        yield pb_grpc.InventoryServiceStub(channel)


def test_set_stock_without_quantity_is_invalid_argument_naming_it(
    inventory: pb_grpc.InventoryServiceStub, unique: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        inventory.SetStock(pb.SetStockRequest(sku=f"N{unique.upper()}"), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details() == "quantity: is required"


def test_set_stock_to_an_explicit_zero_is_applied(
    inventory: pb_grpc.InventoryServiceStub, unique: str
) -> None:
    sku = f"Z{unique.upper()}"
    stock = inventory.SetStock(pb.SetStockRequest(sku=sku, quantity=0), timeout=30)
    assert (stock.sku, stock.on_hand, stock.available) == (sku, 0, 0)

"""CreateOrder and SetStock the ways clients send them: gRPC direct, gRPC and REST through Envoy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import grpc
import httpx
from orderflow.inventory.v1 import inventory_service_pb2 as inventory_pb
from orderflow.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc
from orderflow.order.v1 import order_service_pb2 as order_pb
from orderflow.order.v1 import order_service_pb2_grpc as order_grpc
from orderflow.order.v1.events_pb2 import OrderItem

from faults.model import Line

ORDER_SVC = "127.0.0.1:50051"
ENVOY = "127.0.0.1:8080"
ENVOY_URL = f"http://{ENVOY}"
CALL_SECONDS = 5.0
# What the stack answers for a request it will never take: sending it again cannot help.
FINAL_GRPC = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNIMPLEMENTED,
    }
)


class Refused(Exception):
    """The stack said no to the request itself."""


class Unanswered(Exception):
    """No answer, or a transient error: the request may or may not have taken effect."""


@dataclass(frozen=True)
class OrderRequest:
    user_id: str
    lines: tuple[Line, ...]
    unit_price_cents: int
    key: str | None = None

    @property
    def total_cents(self) -> int:
        return self.unit_price_cents * sum(line.quantity for line in self.lines)

    def proto(self) -> order_pb.CreateOrderRequest:
        items = [
            OrderItem(sku=x.sku, quantity=x.quantity, unit_price_cents=self.unit_price_cents)
            for x in self.lines
        ]
        request = order_pb.CreateOrderRequest(user_id=self.user_id, items=items, total_cents=self.total_cents)
        if self.key is not None:
            request.idempotency_key = self.key
        return request

    def json(self) -> dict[str, object]:
        items = [
            {"sku": x.sku, "quantity": x.quantity, "unit_price_cents": self.unit_price_cents}
            for x in self.lines
        ]
        body: dict[str, object] = {"user_id": self.user_id, "items": items, "total_cents": self.total_cents}
        if self.key is not None:
            body["idempotency_key"] = self.key
        return body


class OrderChannel(Protocol):
    name: str
    via_envoy: bool

    def create(self, request: OrderRequest) -> str:
        """The accepted order's id; raises Refused or Unanswered."""

    def close(self) -> None: ...


def _grpc_failure(error: grpc.RpcError) -> Exception:
    code = error.code()
    reason = f"{code.name}: {error.details()}"
    return Refused(reason) if code in FINAL_GRPC else Unanswered(reason)


def _http_failure(response: httpx.Response) -> Exception:
    reason = f"HTTP {response.status_code}: {response.text[:200]}"
    return (
        Unanswered(reason) if response.status_code >= 500 or response.status_code == 429 else Refused(reason)
    )


class GrpcOrders:
    def __init__(self, name: str, address: str) -> None:
        self.name, self.via_envoy = name, address == ENVOY
        self._channel = grpc.insecure_channel(address)
        self._stub = order_grpc.OrderServiceStub(self._channel)

    def create(self, request: OrderRequest) -> str:
        try:
            reply: order_pb.CreateOrderResponse = self._stub.CreateOrder(
                request.proto(), timeout=CALL_SECONDS
            )
        except grpc.RpcError as error:
            raise _grpc_failure(error) from error
        return reply.order_id

    def close(self) -> None:
        self._channel.close()


class RestOrders:
    name, via_envoy = "rest", True

    def __init__(self) -> None:
        self._client = httpx.Client(base_url=ENVOY_URL, timeout=CALL_SECONDS)

    def create(self, request: OrderRequest) -> str:
        try:
            response = self._client.post("/v1/orders", json=request.json())
        except httpx.HTTPError as error:
            raise Unanswered(f"{type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise _http_failure(response)
        order_id: str = response.json()["order_id"]
        return order_id

    def close(self) -> None:
        self._client.close()


def order_channels() -> list[OrderChannel]:
    return [GrpcOrders("grpc-direct", ORDER_SVC), GrpcOrders("grpc-envoy", ENVOY), RestOrders()]


class Stock:
    """SetStock alternately over REST and gRPC through Envoy; the read model's levels over REST."""

    def __init__(self) -> None:
        self._client = httpx.Client(base_url=ENVOY_URL, timeout=CALL_SECONDS)
        self._channel = grpc.insecure_channel(ENVOY)
        self._stub = inventory_grpc.InventoryServiceStub(self._channel)
        self._calls = 0

    def reserved(self, sku: str) -> int:
        """What the read model says is reserved (0 before the SKU is projected)."""
        try:
            response = self._client.get(f"/v1/inventory/{sku}")
        except httpx.HTTPError as error:
            raise Unanswered(str(error)) from error
        if response.status_code != 200:
            raise _http_failure(response)
        return int(response.json().get("reserved", 0))

    def set(self, sku: str, quantity: int) -> None:
        self._calls += 1
        if self._calls % 2:
            self._set_over_grpc(sku, quantity)
            return
        try:
            response = self._client.put(f"/v1/inventory/{sku}", json={"quantity": quantity})
        except httpx.HTTPError as error:
            raise Unanswered(str(error)) from error
        if response.status_code != 200:
            raise _http_failure(response)

    def _set_over_grpc(self, sku: str, quantity: int) -> None:
        try:
            self._stub.SetStock(
                inventory_pb.SetStockRequest(sku=sku, quantity=quantity), timeout=CALL_SECONDS * 2
            )
        except grpc.RpcError as error:
            raise _grpc_failure(error) from error

    def close(self) -> None:
        self._client.close()
        self._channel.close()

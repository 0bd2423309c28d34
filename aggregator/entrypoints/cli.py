"""`orderflow metrics rate`: the last windows, asked of MetricsService like any client would."""

from __future__ import annotations

import grpc
from orderflow.metrics.v1 import metrics_service_pb2 as pb
from orderflow.metrics.v1 import metrics_service_pb2_grpc as pb_grpc
from orderflow.metrics.v1.events_pb2 import OrderRateWindow


def describe(window: OrderRateWindow) -> str:
    start = window.window_start.ToDatetime().strftime("%Y-%m-%dT%H:%M:%SZ")
    currencies = ", ".join(f"{c.currency} {c.order_count} ({c.total_cents} cents)" for c in window.currencies)
    state = "final" if window.final else "open"
    late = f", {window.late_count} late" if window.late_count else ""
    return (
        f"{start}  {window.order_count:>7} orders  {window.orders_per_second:8.2f}/s  "
        f"{state}{late}  {currencies}"
    )


def rate(target: str, minutes: int | None) -> tuple[int, list[str]]:
    """The exit status and the lines to print, oldest window first."""
    request = pb.GetOrderRateRequest() if minutes is None else pb.GetOrderRateRequest(minutes=minutes)
    with grpc.insecure_channel(target) as channel:
        try:
            answer = pb_grpc.MetricsServiceStub(channel).GetOrderRate(request, timeout=10)
        except grpc.RpcError as refused:
            return 1, [f"{refused.code().name}: {refused.details()}"]
    if not answer.windows:
        return 0, ["no orders in these minutes"]
    return 0, [describe(window) for window in answer.windows]

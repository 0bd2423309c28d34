"""MetricsService over gRPC, answered from metrics.order.rate as this process has read it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import grpc
from orderflow.metrics.v1 import metrics_service_pb2 as pb
from orderflow.metrics.v1 import metrics_service_pb2_grpc as pb_grpc
from orderflow.metrics.v1.events_pb2 import OrderRateWindow

from aggregator.domain.queries import first_window, minutes_violations
from orderflow_platform.grpc_server import abort_invalid_argument, bind_request_trace_id

SERVICE = pb.DESCRIPTOR.services_by_name["MetricsService"].full_name


class RateWindows(Protocol):
    """The published windows as they are kept for queries (the rate view, in the app)."""

    def since(self, start: datetime) -> list[OrderRateWindow]: ...


class MetricsServicer(pb_grpc.MetricsServiceServicer):
    def __init__(self, rates: RateWindows, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._rates, self._clock = rates, clock

    async def GetOrderRate(
        self, request: pb.GetOrderRateRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetOrderRateResponse:
        bind_request_trace_id(context)
        minutes = request.minutes if request.HasField("minutes") else None
        if violations := minutes_violations(minutes):
            await abort_invalid_argument(context, violations)
        return pb.GetOrderRateResponse(windows=self._rates.since(first_window(self._clock(), minutes)))

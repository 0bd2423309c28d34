"""The aggregator's topics, and proto <-> domain. V1 OrderCreated events are upcast here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.metrics.v1 import events_pb2 as metrics
from orderflow.order.v1.events_pb2 import OrderCreated

from aggregator.domain.windows import (
    DEFAULT_CURRENCY,
    WINDOW,
    Count,
    CurrencyTotal,
    Order,
    Window,
    WindowedOrder,
)
from orderflow_platform import topics
from orderflow_platform.kafka.serde import to_datetime

ORDERS = topics.ORDERS_CREATED
WINDOW_ORDERS = topics.AGGREGATOR_WINDOW_ORDERS
WINDOWS = topics.AGGREGATOR_WINDOWS
RATE = topics.ORDER_RATE


@dataclass(frozen=True)
class Topics:
    """The topics one aggregator reads and writes; a benchmark runs on copies of its own."""

    orders: str = ORDERS
    window_orders: str = WINDOW_ORDERS
    windows: str = WINDOWS
    rate: str = RATE

    @classmethod
    def prefixed(cls, prefix: str) -> Topics:
        return cls(*(f"{prefix}{name}" for name in (ORDERS, WINDOW_ORDERS, WINDOWS, RATE)))


LIVE = Topics()


class InvalidEvent(Exception):
    pass


def order(event: OrderCreated) -> Order:
    if not event.HasField("created_at"):
        # Windows are by event time: an order without one belongs to no window.
        raise InvalidEvent("OrderCreated without created_at")
    currency = event.currency or DEFAULT_CURRENCY
    return Order(event.order_id, to_datetime(event.created_at), currency, event.total_cents)


def window_key(start: datetime) -> bytes:
    return start.strftime("%Y-%m-%dT%H:%M:%SZ").encode()


def _timestamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def windowed_order_record(windowed: WindowedOrder) -> metrics.WindowedOrder:
    return metrics.WindowedOrder(
        window_start=_timestamp(windowed.start),
        order_id=windowed.order_id,
        currency=windowed.currency,
        total_cents=windowed.total_cents,
    )


def windowed_order(record: metrics.WindowedOrder) -> WindowedOrder:
    if not record.HasField("window_start") or not record.currency:
        raise InvalidEvent("WindowedOrder without window_start or currency")
    return WindowedOrder(
        to_datetime(record.window_start), record.order_id, record.currency, record.total_cents
    )


def rate_window(count: Count) -> metrics.OrderRateWindow:
    return metrics.OrderRateWindow(
        window_start=_timestamp(count.start),
        window_seconds=int(WINDOW.total_seconds()),
        order_count=count.order_count,
        orders_per_second=count.orders_per_second,
        currencies=[
            metrics.CurrencyTotal(currency=code, order_count=total.order_count, total_cents=total.total_cents)
            for code, total in sorted(count.currencies.items())
        ],
        final=count.final,
        late_count=count.late_count,
    )


def count(record: metrics.OrderRateWindow) -> Count:
    return Count(
        to_datetime(record.window_start),
        record.order_count,
        {c.currency: CurrencyTotal(c.order_count, c.total_cents) for c in record.currencies},
        record.final,
        record.late_count,
    )


def window_state_record(window: Window) -> metrics.WindowState:
    state = metrics.WindowState(counted=rate_window(window.counted))
    if window.published is not None:
        state.published.CopyFrom(rate_window(window.published))
    return state


def window(record: metrics.WindowState) -> Window:
    return Window(count(record.counted), count(record.published) if record.HasField("published") else None)

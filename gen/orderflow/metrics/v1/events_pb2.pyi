import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderRateWindow(_message.Message):
    __slots__ = ("window_start", "window_seconds", "order_count", "orders_per_second", "currencies", "final", "late_count")
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ORDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    ORDERS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    CURRENCIES_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    LATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    window_start: _timestamp_pb2.Timestamp
    window_seconds: int
    order_count: int
    orders_per_second: float
    currencies: _containers.RepeatedCompositeFieldContainer[CurrencyTotal]
    final: bool
    late_count: int
    def __init__(self, window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_seconds: _Optional[int] = ..., order_count: _Optional[int] = ..., orders_per_second: _Optional[float] = ..., currencies: _Optional[_Iterable[_Union[CurrencyTotal, _Mapping]]] = ..., final: bool = ..., late_count: _Optional[int] = ...) -> None: ...

class CurrencyTotal(_message.Message):
    __slots__ = ("currency", "order_count", "total_cents")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ORDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CENTS_FIELD_NUMBER: _ClassVar[int]
    currency: str
    order_count: int
    total_cents: int
    def __init__(self, currency: _Optional[str] = ..., order_count: _Optional[int] = ..., total_cents: _Optional[int] = ...) -> None: ...

class WindowedOrder(_message.Message):
    __slots__ = ("window_start", "order_id", "currency", "total_cents")
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CENTS_FIELD_NUMBER: _ClassVar[int]
    window_start: _timestamp_pb2.Timestamp
    order_id: str
    currency: str
    total_cents: int
    def __init__(self, window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_id: _Optional[str] = ..., currency: _Optional[str] = ..., total_cents: _Optional[int] = ...) -> None: ...

class WindowState(_message.Message):
    __slots__ = ("counted", "published")
    COUNTED_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    counted: OrderRateWindow
    published: OrderRateWindow
    def __init__(self, counted: _Optional[_Union[OrderRateWindow, _Mapping]] = ..., published: _Optional[_Union[OrderRateWindow, _Mapping]] = ...) -> None: ...

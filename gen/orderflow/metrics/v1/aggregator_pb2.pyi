import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from orderflow.metrics.v1 import events_pb2 as _events_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

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
    counted: _events_pb2.OrderRateWindow
    published: _events_pb2.OrderRateWindow
    def __init__(self, counted: _Optional[_Union[_events_pb2.OrderRateWindow, _Mapping]] = ..., published: _Optional[_Union[_events_pb2.OrderRateWindow, _Mapping]] = ...) -> None: ...

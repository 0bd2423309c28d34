import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StockSet(_message.Message):
    __slots__ = ("sku", "quantity", "set_at")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SET_AT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    set_at: _timestamp_pb2.Timestamp
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ..., set_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservedItem(_message.Message):
    __slots__ = ("sku", "quantity")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class OrderReserved(_message.Message):
    __slots__ = ("order_id", "user_id", "items", "total_cents", "reserved_at", "currency", "contact_email")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CENTS_FIELD_NUMBER: _ClassVar[int]
    RESERVED_AT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    user_id: str
    items: _containers.RepeatedCompositeFieldContainer[ReservedItem]
    total_cents: int
    reserved_at: _timestamp_pb2.Timestamp
    currency: str
    contact_email: str
    def __init__(self, order_id: _Optional[str] = ..., user_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ReservedItem, _Mapping]]] = ..., total_cents: _Optional[int] = ..., reserved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., currency: _Optional[str] = ..., contact_email: _Optional[str] = ...) -> None: ...

class OrderRejected(_message.Message):
    __slots__ = ("order_id", "user_id", "sku", "quantity_requested", "quantity_available", "reason", "rejected_at", "contact_email")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    user_id: str
    sku: str
    quantity_requested: int
    quantity_available: int
    reason: str
    rejected_at: _timestamp_pb2.Timestamp
    contact_email: str
    def __init__(self, order_id: _Optional[str] = ..., user_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity_requested: _Optional[int] = ..., quantity_available: _Optional[int] = ..., reason: _Optional[str] = ..., rejected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_email: _Optional[str] = ...) -> None: ...

class StockLevel(_message.Message):
    __slots__ = ("sku", "on_hand", "reserved", "updated_at", "cause_id")
    SKU_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CAUSE_ID_FIELD_NUMBER: _ClassVar[int]
    sku: str
    on_hand: int
    reserved: int
    updated_at: _timestamp_pb2.Timestamp
    cause_id: str
    def __init__(self, sku: _Optional[str] = ..., on_hand: _Optional[int] = ..., reserved: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cause_id: _Optional[str] = ...) -> None: ...

class StockCommand(_message.Message):
    __slots__ = ("sku", "set_on_hand", "reserve", "release")
    SKU_FIELD_NUMBER: _ClassVar[int]
    SET_ON_HAND_FIELD_NUMBER: _ClassVar[int]
    RESERVE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    sku: str
    set_on_hand: SetOnHand
    reserve: ReserveLine
    release: ReleaseLine
    def __init__(self, sku: _Optional[str] = ..., set_on_hand: _Optional[_Union[SetOnHand, _Mapping]] = ..., reserve: _Optional[_Union[ReserveLine, _Mapping]] = ..., release: _Optional[_Union[ReleaseLine, _Mapping]] = ...) -> None: ...

class SetOnHand(_message.Message):
    __slots__ = ("request_id", "quantity")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    quantity: int
    def __init__(self, request_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class ReserveLine(_message.Message):
    __slots__ = ("order_id", "quantity", "reply_partition")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REPLY_PARTITION_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    quantity: int
    reply_partition: int
    def __init__(self, order_id: _Optional[str] = ..., quantity: _Optional[int] = ..., reply_partition: _Optional[int] = ...) -> None: ...

class ReleaseLine(_message.Message):
    __slots__ = ("order_id", "quantity")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    quantity: int
    def __init__(self, order_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class LineResult(_message.Message):
    __slots__ = ("order_id", "sku", "quantity_requested", "reserved", "quantity_available")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    sku: str
    quantity_requested: int
    reserved: bool
    quantity_available: int
    def __init__(self, order_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity_requested: _Optional[int] = ..., reserved: bool = ..., quantity_available: _Optional[int] = ...) -> None: ...

class OrderProgress(_message.Message):
    __slots__ = ("order_id", "user_id", "lines", "total_cents", "created_at", "results", "settled", "currency", "contact_email")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CENTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SETTLED_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    user_id: str
    lines: _containers.RepeatedCompositeFieldContainer[ReservedItem]
    total_cents: int
    created_at: _timestamp_pb2.Timestamp
    results: _containers.RepeatedCompositeFieldContainer[LineResult]
    settled: bool
    currency: str
    contact_email: str
    def __init__(self, order_id: _Optional[str] = ..., user_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ReservedItem, _Mapping]]] = ..., total_cents: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., results: _Optional[_Iterable[_Union[LineResult, _Mapping]]] = ..., settled: bool = ..., currency: _Optional[str] = ..., contact_email: _Optional[str] = ...) -> None: ...

"""The shared Timestamp -> datetime conversion is protobuf's own, only cheaper."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given, settings
from hypothesis import strategies as st

from orderflow_platform.kafka.serde import to_datetime

FIRST_SECOND = -62_135_596_800  # 0001-01-01T00:00:00Z
LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z


def protobufs(stamp: Timestamp) -> datetime | type[Exception]:
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except ValueError:
        return ValueError


def ours(stamp: Timestamp) -> datetime | type[Exception]:
    try:
        return to_datetime(stamp)
    except ValueError:
        return ValueError


@settings(derandomize=True, max_examples=500)
@given(
    seconds=st.one_of(
        st.integers(FIRST_SECOND - 2, FIRST_SECOND + 2),
        st.integers(LAST_SECOND - 2, LAST_SECOND + 2),
        st.integers(FIRST_SECOND, LAST_SECOND),
    ),
    nanos=st.one_of(st.integers(-2, 2), st.integers(999_999_997, 1_000_000_001), st.integers(0, 999_999_999)),
)
def test_it_gives_what_to_datetime_gives_and_refuses_what_it_refuses(seconds: int, nanos: int) -> None:
    stamp = Timestamp(seconds=seconds, nanos=nanos)
    assert ours(stamp) == protobufs(stamp)


@pytest.mark.parametrize(
    ("seconds", "nanos"), [(LAST_SECOND + 1, 0), (FIRST_SECOND - 1, 0), (0, -1), (0, 1_000_000_000)]
)
def test_a_timestamp_no_datetime_can_hold_is_a_value_error(seconds: int, nanos: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        to_datetime(Timestamp(seconds=seconds, nanos=nanos))


def test_it_is_in_utc_and_truncates_nanos_to_microseconds() -> None:
    moment = to_datetime(Timestamp(seconds=1_764_150_000, nanos=123_456_789))
    assert moment == datetime(2025, 11, 26, 9, 40, 0, 123_456, tzinfo=UTC)
    assert moment.tzinfo is UTC

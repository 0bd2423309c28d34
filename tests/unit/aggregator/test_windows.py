"""Tumbling windows by event time: boundaries, out-of-order and late orders, publishing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.order.v1.events_pb2 import OrderCreated

from aggregator.adapters.events import InvalidEvent
from aggregator.adapters.events import order as from_event
from aggregator.domain.queries import first_window, minutes_violations
from aggregator.domain.windows import CurrencyTotal, Order, Policy, Windows, window_start, windowed

T0 = datetime(2001, 2, 3, 4, 5, tzinfo=UTC)
POLICY = Policy(allowed_lateness=timedelta(seconds=10), publish_interval=timedelta(seconds=1))


def order(at: datetime, currency: str = "USD", total: int = 100, order_id: str = "o") -> Order:
    return Order(order_id, at, currency, total)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def test_a_window_is_the_minute_of_created_at_start_inclusive_end_exclusive() -> None:
    assert window_start(T0) == T0
    assert window_start(T0 + seconds(59.999)) == T0
    assert window_start(T0 + seconds(60)) == T0 + seconds(60)
    assert window_start(T0 - timedelta(microseconds=1)) == T0 - seconds(60)


def test_event_time_from_another_zone_lands_in_its_utc_minute() -> None:
    plus_two = T0.astimezone(timezone(timedelta(hours=2)))
    assert window_start(plus_two + seconds(30)) == T0


def test_out_of_order_orders_each_count_in_their_own_window() -> None:
    windows = Windows(POLICY)
    now = T0 + seconds(61)
    for at in (T0 + seconds(61), T0 + seconds(5), T0 + seconds(59), T0 + seconds(60)):
        windows.add(windowed(order(at)), now)
    assert windows[T0].counted.order_count == 2
    assert windows[T0 + seconds(60)].counted.order_count == 2
    assert not windows[T0].counted.final


def test_counts_per_currency_and_rate() -> None:
    windows = Windows(POLICY)
    for currency, total in (("USD", 100), ("EUR", 250), ("USD", 50)):
        windows.add(windowed(order(T0, currency, total)), T0)
    counted = windows[T0].counted
    assert counted.currencies == {"USD": CurrencyTotal(2, 150), "EUR": CurrencyTotal(1, 250)}
    assert counted.orders_per_second == 3 / 60


def test_running_value_is_published_at_most_once_per_interval() -> None:
    windows = Windows(POLICY)
    windows.add(windowed(order(T0)), T0 + seconds(1))
    assert [w.counted.order_count for w in windows.publish(T0 + seconds(1))] == [1]
    windows.add(windowed(order(T0)), T0 + seconds(1.2))
    assert not windows.due(T0 + seconds(1.5))
    assert windows.publish(T0 + seconds(1.5)) == []
    published = windows.publish(T0 + seconds(2))
    assert [(w.counted.order_count, w.counted.final) for w in published] == [(2, False)]
    assert not windows.due(T0 + seconds(30))


def test_window_is_final_once_the_allowed_lateness_has_passed() -> None:
    windows = Windows(POLICY)
    windows.add(windowed(order(T0 + seconds(59))), T0 + seconds(69.9))
    assert not windows.add(windowed(order(T0)), T0 + seconds(69.9))[1]  # within lateness: not late
    windows.publish(T0 + seconds(69.9))
    assert not windows.due(T0 + seconds(69.99))
    assert windows.due(T0 + seconds(70))
    [final] = windows.publish(T0 + seconds(70))
    assert (final.counted.order_count, final.counted.final, final.counted.late_count) == (2, True, 0)
    assert not windows.due(T0 + seconds(3600))


def test_a_late_order_still_counts_and_republishes_the_final_window() -> None:
    windows = Windows(POLICY)
    windows.add(windowed(order(T0)), T0)
    windows.publish(T0 + seconds(70))
    window, late = windows.add(windowed(order(T0 + seconds(30))), T0 + seconds(70))
    assert late
    assert (window.counted.order_count, window.counted.final, window.counted.late_count) == (2, True, 1)
    [again] = windows.publish(T0 + seconds(71))
    assert again.published == again.counted


def test_an_order_first_seen_after_its_window_closed_is_published_final_at_once() -> None:
    windows = Windows(POLICY)
    windows.add(windowed(order(T0)), T0 + timedelta(days=1))
    [window] = windows.publish(T0 + timedelta(days=1))
    assert (window.counted.final, window.counted.late_count) == (True, 1)


def test_rebuilt_windows_publish_what_was_counted_but_not_yet_published() -> None:
    live = Windows(POLICY)
    live.add(windowed(order(T0)), T0)
    live.publish(T0)
    live.add(windowed(order(T0)), T0 + seconds(0.5))
    rebuilt = Windows(POLICY, {T0: live[T0]})
    assert rebuilt.due(T0 + seconds(0.6))
    [window] = rebuilt.publish(T0 + seconds(0.6))
    assert window.counted.order_count == 2
    done = Windows(POLICY, {T0: window})
    assert not done.due(T0 + seconds(5))


def test_get_order_rate_asks_for_whole_minutes_up_to_the_current_one() -> None:
    now = T0 + seconds(30)
    assert first_window(now, 1) == T0
    assert first_window(now, None) == T0 - timedelta(minutes=59)
    assert minutes_violations(0) == [("minutes", "must be between 1 and 1440")]
    assert minutes_violations(1441) != []
    assert minutes_violations(None) == minutes_violations(1440) == []


def test_v1_orders_are_upcast_to_usd_and_orders_without_event_time_refused() -> None:
    stamp = Timestamp()
    stamp.FromDatetime(T0)
    assert from_event(OrderCreated(order_id="a", created_at=stamp, total_cents=5)).currency == "USD"
    assert from_event(OrderCreated(order_id="b", created_at=stamp, currency="EUR")).currency == "EUR"
    with pytest.raises(InvalidEvent):
        from_event(OrderCreated(order_id="c"))


def test_a_window_changed_by_many_orders_is_handed_out_once_to_be_recorded() -> None:
    windows = Windows(POLICY)
    for _ in range(3):
        windows.add(windowed(order(T0)), T0)
    windows.add(windowed(order(T0 + seconds(60))), T0)
    assert [w.counted.order_count for w in windows.unrecorded()] == [3, 1]
    assert windows.unrecorded() == []
    windows.add(windowed(order(T0)), T0 + seconds(2))
    windows.publish(T0 + seconds(2))  # published windows are recorded with their publication
    assert windows.unrecorded() == []

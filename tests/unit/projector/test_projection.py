"""The projection's rules: duplicates change nothing, and arrival order does not matter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import permutations

from projector.domain.model import (
    Event,
    MinuteCounted,
    OrderDecided,
    OrderLine,
    OrderPlaced,
    Status,
    StockChanged,
    fold,
)
from projector.handlers import project
from tests.unit.projector.fakes import FakeReadModels

T0 = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)


def placed(order_id: str, lines: int = 1) -> OrderPlaced:
    items = tuple(OrderLine(f"SKU-{n}", n, 100) for n in range(1, lines + 1))
    return OrderPlaced(order_id, "u1", items, sum(i.quantity * 100 for i in items), "k", T0, "USD")


def confirmed(order_id: str) -> OrderDecided:
    return OrderDecided(order_id, "u1", Status.CONFIRMED, "", T0 + timedelta(seconds=1))


def rejected(order_id: str) -> OrderDecided:
    return OrderDecided(order_id, "u1", Status.REJECTED, "out of stock", T0 + timedelta(seconds=1))


def stock(sku: str, on_hand: int) -> StockChanged:
    return StockChanged(sku, on_hand, 0, T0, f"cause-{on_hand}")


def test_fold_keeps_the_first_order_and_outcome_and_the_last_stock_level() -> None:
    first, again = placed("o1", lines=1), placed("o1", lines=2)
    changes = fold([first, confirmed("o1"), again, rejected("o1"), stock("A", 1), stock("A", 2)])
    assert changes.placed == (first,)
    assert changes.decided == (confirmed("o1"),)
    assert changes.stock == (stock("A", 2),)


def test_an_order_placed_then_decided_is_confirmed_with_its_history() -> None:
    models = FakeReadModels()
    project([placed("o1", lines=2)], models)
    assert models.orders["o1"].status is Status.PENDING
    project([confirmed("o1")], models)
    row = models.orders["o1"]
    assert (row.status, len(row.lines), row.created_at) == (Status.CONFIRMED, 2, T0)
    assert models.history == {("o1", Status.PENDING), ("o1", Status.CONFIRMED)}


def test_every_arrival_order_and_batching_gives_the_same_models() -> None:
    events: list[Event] = [placed("o1"), rejected("o1"), placed("o1"), stock("A", 1)]
    results = []
    for order in permutations(events):
        one_by_one, one_batch = FakeReadModels(), FakeReadModels()
        for event in order:
            project([event], one_by_one)
        project(order, one_batch)
        results += [one_by_one, one_batch]
    assert all(r == results[0] for r in results)
    assert results[0].orders["o1"].status is Status.REJECTED
    assert results[0].per_minute == {}


def test_a_minute_holds_the_aggregators_latest_count_in_a_batch_or_across_batches() -> None:
    minute = T0.replace(second=0)
    counts = [MinuteCounted(minute, 1), MinuteCounted(minute, 3), MinuteCounted(minute, 2)]
    one_by_one, one_batch = FakeReadModels(), FakeReadModels()
    for count in counts:
        project([count], one_by_one)
    project(counts, one_batch)
    assert one_by_one.per_minute == one_batch.per_minute == {minute: 2}

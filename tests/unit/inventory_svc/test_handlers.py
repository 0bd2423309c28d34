"""The saga end to end over the pure steps, with the 'topics' played by lists."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import FunctionType

from inventory_svc import handlers
from inventory_svc.domain.commands import (
    LineDecided,
    Output,
    ReleaseLine,
    ReserveLine,
    SagaChanged,
    SetOnHand,
    StockChanged,
    StockCommand,
)
from inventory_svc.domain.saga import Confirmed, Line, PlacedOrder, Rejected, Settlement, lines_by_sku
from inventory_svc.domain.stock import Stock
from inventory_svc.handlers import InventoryState
from orderflow_ops.topics import load_specs

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def order(order_id: str, *lines: tuple[str, int]) -> PlacedOrder:
    return PlacedOrder(order_id, "alice", lines_by_sku(list(lines)), 100, NOW)


def run(
    state: InventoryState, *inputs: PlacedOrder | StockCommand, here: frozenset[str] = frozenset()
) -> list[Output]:
    """Feeds inputs and every command and line result they cause until nothing is left; the
    SKUs `here` are held by the coordinator's own replica."""
    pending: list[object] = list(inputs)
    written: list[Output] = []
    local_stock = lambda sku: state if sku in here else None  # noqa: E731
    while pending:
        item = pending.pop(0)
        if isinstance(item, PlacedOrder):
            outputs = handlers.place_order(item, 0, state, local_stock)
        elif isinstance(item, LineDecided):
            outputs = handlers.settle_line(item.result, 0, state, local_stock)
        else:
            assert isinstance(item, SetOnHand | ReserveLine | ReleaseLine)
            outputs = handlers.apply_command(item, state)
        written += outputs
        pending += [o for o in outputs if isinstance(o, LineDecided | ReserveLine | ReleaseLine)]
    return written


def settlements(outputs: list[Output]) -> list[Settlement]:
    return [o for o in outputs if isinstance(o, Confirmed | Rejected)]


def stocked(**on_hand: int) -> InventoryState:
    state = InventoryState()
    run(state, *(SetOnHand(sku, f"set-{sku}", q) for sku, q in on_hand.items()))
    return state


def test_an_order_whose_lines_are_all_available_is_confirmed() -> None:
    state = stocked(A=5, B=5)
    (settled,) = settlements(run(state, order("o1", ("A", 2), ("B", 3))))
    assert isinstance(settled, Confirmed)
    assert state.stock["A"] == Stock("A", 5, 2)
    assert state.stock["B"] == Stock("B", 5, 3)


def test_a_short_line_rejects_the_order_and_releases_the_lines_already_held() -> None:
    state = stocked(A=5, B=1)
    (settled,) = settlements(run(state, order("o1", ("A", 2), ("B", 3))))
    assert isinstance(settled, Rejected)
    assert (settled.short.sku, settled.short.quantity_requested, settled.short.quantity_available) == (
        "B",
        3,
        1,
    )
    assert settled.releases == (Line("A", 2),)
    assert "B" in settled.reason
    assert state.stock["A"] == Stock("A", 5, 0)
    assert state.stock["B"] == Stock("B", 1, 0)


def test_repeated_skus_are_one_line_with_the_quantities_added() -> None:
    assert lines_by_sku([("A", 1), ("B", 2), ("A", 3)]) == (Line("A", 4), Line("B", 2))


def test_a_repeated_order_id_is_settled_once() -> None:
    state = stocked(A=5)
    outputs = run(state, order("o1", ("A", 2)), order("o1", ("A", 2)))
    assert len(settlements(outputs)) == 1
    assert state.stock["A"].reserved == 2


def test_orders_are_served_in_the_order_they_arrive() -> None:
    state = stocked(A=3)
    outputs = run(state, *(order(f"o{i}", ("A", 1)) for i in range(5)))
    outcome = {s.order.order_id: isinstance(s, Confirmed) for s in settlements(outputs)}
    assert outcome == {"o0": True, "o1": True, "o2": True, "o3": False, "o4": False}


def test_every_change_writes_the_skus_whole_state_and_the_sagas_whole_state() -> None:
    state = stocked(A=5)
    outputs = run(state, order("o1", ("A", 2)))
    assert StockChanged(Stock("A", 5, 2), "o1") in outputs
    saga_states = [o.saga for o in outputs if isinstance(o, SagaChanged)]
    assert saga_states and saga_states[-1].settled


def test_a_refused_set_stock_still_answers_the_request() -> None:
    state = stocked(A=5)
    run(state, order("o1", ("A", 4)))
    outputs = run(state, SetOnHand("A", "req-2", 1))
    assert outputs == [StockChanged(Stock("A", 5, 4), "req-2")]


def test_a_line_result_for_an_unknown_or_settled_order_is_ignored() -> None:
    state = stocked(A=5)
    outputs = run(state, order("o1", ("A", 1)))
    (decided,) = [o for o in outputs if isinstance(o, LineDecided)]
    assert handlers.settle_line(decided.result, 0, state) == []
    assert handlers.settle_line(decided.result, 0, InventoryState()) == []


def sent(outputs: list[Output]) -> list[tuple[str, str]]:
    """The commands and replies that went through Kafka, as (kind, sku)."""
    return [
        (type(o).__name__, o.result.sku if isinstance(o, LineDecided) else o.sku)
        for o in outputs
        if isinstance(o, LineDecided | ReserveLine | ReleaseLine)
    ]


def test_an_order_of_skus_held_here_is_settled_in_place_in_one_step() -> None:
    state = stocked(A=5, B=5)
    outputs = handlers.place_order(order("o1", ("A", 2), ("B", 3)), 0, state, lambda _sku: state)
    assert sent(outputs) == []
    assert settlements(outputs) == [Confirmed(order("o1", ("A", 2), ("B", 3)))]
    assert [o for o in outputs if isinstance(o, StockChanged)] == [
        StockChanged(Stock("A", 5, 2), "o1"),
        StockChanged(Stock("B", 5, 3), "o1"),
    ]
    saga_states = [o.saga for o in outputs if isinstance(o, SagaChanged)]
    assert saga_states and saga_states[-1].settled


def test_only_the_lines_held_elsewhere_go_through_kafka() -> None:
    state = stocked(A=5, B=5)
    outputs = run(state, order("o1", ("A", 2), ("B", 3)), here=frozenset({"A"}))
    assert sent(outputs) == [("ReserveLine", "B"), ("LineDecided", "B")]
    (settled,) = settlements(outputs)
    assert isinstance(settled, Confirmed)
    assert (state.stock["A"], state.stock["B"]) == (Stock("A", 5, 2), Stock("B", 5, 3))


def test_a_short_line_held_here_releases_the_held_lines_in_place_or_through_kafka() -> None:
    for here, releases in ((frozenset({"A", "B"}), []), (frozenset({"B"}), [("ReleaseLine", "A")])):
        state = stocked(A=5, B=1)
        outputs = run(state, order("o1", ("A", 2), ("B", 3)), here=here)
        (settled,) = settlements(outputs)
        assert isinstance(settled, Rejected) and settled.short.sku == "B"
        assert [s for s in sent(outputs) if s[0] == "ReleaseLine"] == releases
        assert (state.stock["A"], state.stock["B"]) == (Stock("A", 5, 0), Stock("B", 1, 0))


def test_orders_decided_in_place_and_through_kafka_never_oversell() -> None:
    state = stocked(A=3)
    outputs = run(
        state,
        *(order(f"o{i}", ("A", 1)) for i in range(3)),
        here=frozenset({"A"}),
    )
    outputs += run(state, order("o3", ("A", 1)))
    outcome = {s.order.order_id: isinstance(s, Confirmed) for s in settlements(outputs)}
    assert outcome == {"o0": True, "o1": True, "o2": True, "o3": False}
    assert state.stock["A"] == Stock("A", 3, 3)


def test_a_sku_that_came_here_with_lines_still_on_their_way_is_sent_after_them() -> None:
    """Its stock moved to this replica while a ReserveLine of an earlier order was in Kafka:
    a later order's line joins that queue instead of overtaking it."""
    state = stocked(A=1)
    (on_its_way,) = [
        o for o in handlers.place_order(order("o1", ("A", 1)), 0, state) if isinstance(o, ReserveLine)
    ]
    restored = InventoryState.of_sagas(state.sagas.values(), state.settled)
    restored.stock = state.stock
    here = lambda _sku: restored  # noqa: E731

    second = handlers.place_order(order("o2", ("A", 1)), 0, restored, here)
    assert sent(second) == [("ReserveLine", "A")], "queued behind o1's line"
    outputs = handlers.apply_command(on_its_way, restored)
    for item in [on_its_way, *[o for o in second if isinstance(o, ReserveLine)]][1:]:
        outputs += handlers.apply_command(item, restored)
    for decided in [o for o in outputs if isinstance(o, LineDecided)]:
        outputs += handlers.settle_line(decided.result, 0, restored, here)
    outcome = {s.order.order_id: isinstance(s, Confirmed) for s in settlements(outputs)}
    assert outcome == {"o1": True, "o2": False}

    third = handlers.place_order(order("o3", ("A", 1)), 0, restored, here)
    assert sent(third) == [], "nothing on its way any more: decided in place"


def tracked_objects_held_by(state: InventoryState) -> int:
    """The objects reachable from the state that the garbage collector walks (not counting
    the classes, which every instance refers to, nor functions, the clock's: their globals
    are whole modules)."""
    seen: set[int] = set()
    pending: list[object] = [state]
    while pending:
        item = pending.pop()
        if id(item) in seen or not gc.is_tracked(item) or isinstance(item, type | FunctionType):
            continue
        seen.add(id(item))
        pending += gc.get_referents(item)
    return len(seen)


def test_a_settled_saga_is_kept_as_its_order_id_alone() -> None:
    """A replica settles millions of orders; were their sagas kept, every full collection
    would walk all of them (seconds, on a long-running replica)."""
    state = stocked(A=10_000)
    run(state, order("o0", ("A", 1)))
    baseline = tracked_objects_held_by(state)
    run(state, *(order(f"o{i}", ("A", 1)) for i in range(1, 1_000)))
    assert state.sagas == {}
    assert all(f"o{i}" in state.settled for i in range(1_000))
    assert tracked_objects_held_by(state) == baseline


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def test_a_settled_order_is_remembered_for_as_long_as_its_changelog_record_is_kept() -> None:
    clock = Clock()
    state = stocked(A=10)
    state.settled = handlers.settled_orders(clock)
    run(state, order("old", ("A", 1)))
    clock.now += handlers.SETTLED_KEPT
    run(state, order("new", ("A", 1)))
    assert "old" in state.settled, "exactly the retention apart: still kept"
    clock.now += timedelta(seconds=1)
    run(state, order("newer", ("A", 1)))
    assert "old" not in state.settled and "new" in state.settled
    assert len(state.settled) == 2


def test_an_order_stamped_days_ahead_does_not_make_the_replica_forget_the_others() -> None:
    """Order times come from order_svc's clock; a skewed one must not age every other
    settled order out, or their repeats would be reserved again."""
    state = stocked(A=10)
    state.settled = handlers.settled_orders(Clock())
    run(state, order("o1", ("A", 1)))
    run(state, replace(order("ahead", ("A", 1)), created_at=NOW + 2 * handlers.SETTLED_KEPT))
    run(state, order("o2", ("A", 1)))
    assert all(o in state.settled for o in ("o1", "ahead", "o2"))
    assert run(state, order("o1", ("A", 1))) == [], "a repeat is still ignored"
    assert state.stock["A"].reserved == 3


def test_a_rebuilt_replica_forgets_a_settled_order_when_its_changelog_record_expires() -> None:
    clock = Clock()
    settled = handlers.settled_orders(clock)
    settled.add("old", NOW - handlers.SETTLED_KEPT - timedelta(seconds=1))
    settled.add("recent", NOW - timedelta(days=1))
    assert "old" not in settled and "recent" in settled


def test_a_replica_remembers_a_settled_order_exactly_as_long_as_its_changelog_does() -> None:
    """The 7 days are written twice, as the domain's window and as the topic's retention."""
    (progress,) = [spec for spec in load_specs() if spec.name == "inventory.progress"]
    assert timedelta(milliseconds=int(progress.config["retention.ms"])) == handlers.SETTLED_KEPT

"""The verdict over hand-made observations: each broken invariant is named, a clean run has none."""

from __future__ import annotations

from dataclasses import replace

from faults.model import (
    Accepted,
    Created,
    KeyMismatch,
    Line,
    Notice,
    Observed,
    Outcome,
    Parked,
    Poison,
    Sent,
    StockLevel,
    Violation,
)
from faults.verdict import verdict

CONSUMERS = {"orders.created": frozenset({"inventory-svc", "projector"})}


def clean() -> tuple[Sent, Observed]:
    """Two orders on one SKU: a confirmed keyed one and a rejected unkeyed one."""
    sent = Sent(accepted=(Accepted("o1", "u1", "k1", "grpc"), Accepted("o2", "u2", None, "rest")))
    observed = Observed(
        created=[Created("o1", "u1", "k1"), Created("o2", "u2", "")],
        outcomes=[Outcome("o1", True, (Line("S", 2),)), Outcome("o2", False)],
        stock_changes={"S": [StockLevel(2, 0), StockLevel(2, 2)]},
        stock_rows={"S": StockLevel(2, 2)},
        order_rows={"o1": "CONFIRMED", "o2": "REJECTED"},
        notices={"o1": [Notice("email", "confirmed", "delivered")]},
        mails={"o1": {"confirmed"}, "o2": {"out_of_stock"}},
        poison=[Poison("orders.created", 3, 10, "garbage")],
        parked=[
            Parked("inventory-svc", "orders.created", 3, 10),
            Parked("projector", "orders.created", 3, 10),
        ],
    )
    return sent, observed


def checks(sent: Sent, observed: Observed) -> dict[str, Violation]:
    return {v.check: v for v in verdict(sent, observed, CONSUMERS)}


def test_a_clean_run_has_no_violation() -> None:
    assert verdict(*clean(), CONSUMERS) == []


def test_an_accepted_order_missing_from_the_topic_is_pending() -> None:
    sent, observed = clean()
    observed.created.pop(0)
    found = checks(sent, observed)["accepted, no OrderCreated"]
    assert (found.subject, found.pending) == ("o1", True)


def test_a_repeated_order_created_is_a_duplicate() -> None:
    sent, observed = clean()
    observed.created.append(Created("o1", "u1", "k1"))
    assert checks(sent, observed)["OrderCreated duplicated"].detail == "2 times"


def test_one_key_appended_under_two_order_ids() -> None:
    sent, observed = clean()
    observed.created.append(Created("o9", "u1", "k1"))
    assert checks(sent, observed)["one key, several orders"].detail == "o1, o9"


def test_what_the_load_driver_saw_go_wrong() -> None:
    sent, observed = clean()
    sent = replace(
        sent,
        abandoned_keys=(("u3", "k3"),),
        key_mismatches=(KeyMismatch("u1", "k1", "o1", "o7"),),
        refused=("FAILED_PRECONDITION: no",),
    )
    found = checks(sent, observed)
    assert found["keyed request never answered"].subject == "u3/k3"
    assert found["retried key answered with another order"].detail == "o1 then o7"
    assert found["valid order refused"].subject == "FAILED_PRECONDITION: no"


def test_unkeyed_events_beyond_the_failed_unkeyed_requests() -> None:
    sent, observed = clean()
    observed.created += [Created("x1", "u2", ""), Created("x2", "u2", "")]
    assert "OrderCreated nobody was answered for" in checks(replace(sent, ambiguous_unkeyed=1), observed)
    assert "OrderCreated nobody was answered for" not in checks(replace(sent, ambiguous_unkeyed=2), observed)


def test_missing_and_duplicated_outcomes() -> None:
    sent, observed = clean()
    observed.outcomes = [observed.outcomes[0], observed.outcomes[0]]
    found = checks(sent, observed)
    assert (found["no outcome"].subject, found["no outcome"].pending) == ("o2", True)
    assert found["outcome duplicated"].detail == "2 outcomes"


def test_oversell_at_any_moment_of_the_changelog() -> None:
    sent, observed = clean()
    observed.stock_changes["S"].insert(1, StockLevel(2, 3))
    assert checks(sent, observed)["oversold"].detail == "on_hand 2, reserved 3"


def test_reserved_units_must_be_the_confirmed_orders() -> None:
    sent, observed = clean()
    observed.stock_changes["S"].append(StockLevel(5, 3))
    observed.stock_rows["S"] = StockLevel(5, 3)
    found = checks(sent, observed)["reserved differs from confirmed units"]
    assert (found.detail, found.pending) == ("reserved 3, confirmed orders hold 2", True)


def test_stock_read_model_behind_the_changelog() -> None:
    sent, observed = clean()
    observed.stock_rows["S"] = StockLevel(2, 0)
    assert checks(sent, observed)["stock_levels differs from inventory.stock"].pending


def test_read_model_status_still_pending_is_pending_but_a_wrong_decision_is_not() -> None:
    sent, observed = clean()
    observed.order_rows["o1"] = "PENDING"
    assert checks(sent, observed)["read model status differs"].pending
    observed.order_rows["o1"] = "REJECTED"
    assert not checks(sent, observed)["read model status differs"].pending
    del observed.order_rows["o1"]
    assert checks(sent, observed)["order missing from the read model"].pending


def test_exactly_one_mail_of_the_right_kind() -> None:
    sent, observed = clean()
    observed.mails["o1"] = set()
    assert checks(sent, observed)["no mail"].subject == "o1"
    observed.mails["o1"] = {"confirmed", "out_of_stock"}
    assert checks(sent, observed)["mail of the other outcome"].detail == "confirmed, out_of_stock"


def test_a_parked_notice() -> None:
    sent, observed = clean()
    observed.notices["o1"] = [Notice("email", "confirmed", "parked")]
    assert checks(sent, observed)["notice parked"].detail == "email"


def test_each_poison_record_parked_once_by_each_consumer_of_its_topic() -> None:
    sent, observed = clean()
    observed.parked.pop(0)
    found = checks(sent, observed)["poison not parked"]
    assert found.subject == "garbage on orders.created[3]@10 by inventory-svc"
    observed.parked += [Parked("projector", "orders.created", 3, 10)] * 2
    assert checks(sent, observed)["poison parked more than once"].detail == "3 times"


def test_get_stock_adds_up_and_follows_the_changelog() -> None:
    sent, observed = clean()
    observed.stock_reads["S"] = (2, 2, 0)
    assert verdict(sent, observed, CONSUMERS) == []
    observed.stock_reads["S"] = (2, 2, 1)
    assert checks(sent, observed)["GetStock: available + reserved != on_hand"].detail == "(2, 2, 1)"
    observed.stock_reads["S"] = (2, 0, 2)
    assert checks(sent, observed)["GetStock differs from inventory.stock"].pending

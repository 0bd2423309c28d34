"""The broker's request counts between two scrapes, as the bench reports them."""

from __future__ import annotations

from bench.e2e.broker import requests_between


def test_requests_between_two_counts_per_type_leaving_out_types_that_did_not_move() -> None:
    before = {"Produce": 100.0, "Fetch": 40.0, "EndTxn": 7.0}
    after = {"Produce": 160.0, "Fetch": 55.0, "EndTxn": 7.0, "InitProducerId": 1.0}
    assert requests_between(before, after) == {"Produce": 60.0, "Fetch": 15.0, "InitProducerId": 1.0}


def test_a_broker_restarted_meanwhile_counts_from_zero() -> None:
    assert requests_between({"Produce": 100.0}, {"Produce": 30.0, "Fetch": 5.0}) == {
        "Produce": 30.0,
        "Fetch": 5.0,
    }


def test_a_broker_that_did_not_answer_gives_no_counts() -> None:
    assert requests_between({}, {}) == {}

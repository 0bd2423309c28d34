"""The load driver's bookkeeping: what it records, and the pace it keeps."""

from __future__ import annotations

import threading
import time

from faults.load import Ledger, Pacer
from faults.model import Accepted


def test_every_failure_is_unanswered_but_only_unkeyed_ones_are_unknown_outcomes() -> None:
    ledger = Ledger()
    ledger.failed(keyed=False)
    ledger.failed(keyed=True)
    assert ledger.snapshot().ambiguous_unkeyed == 1
    assert ledger.snapshot().unanswered == 2


def test_the_ledger_counts_accepted_orders_per_channel() -> None:
    ledger = Ledger()
    ledger.accepted(Accepted("o1", "u", "k", "rest"))
    ledger.accepted(Accepted("o2", "u", None, "grpc-envoy"))
    ledger.accepted(Accepted("o3", "u", None, "grpc-direct"))
    assert ledger.accepted_through(frozenset({"rest", "grpc-envoy"})) == 2
    assert [a.order_id for a in ledger.snapshot().accepted] == ["o1", "o2", "o3"]


def test_the_pacer_keeps_its_rate() -> None:
    pacer, stop = Pacer(50.0), threading.Event()
    began = time.monotonic()
    for _ in range(10):
        assert pacer.wait(stop)
    assert 0.15 <= time.monotonic() - began < 0.5


def test_slots_missed_while_blocked_are_not_sent_in_a_burst() -> None:
    pacer, stop = Pacer(50.0), threading.Event()
    pacer.wait(stop)
    time.sleep(0.3)
    began = time.monotonic()
    for _ in range(5):
        pacer.wait(stop)
    assert time.monotonic() - began >= 0.06


def test_the_pacer_ends_when_stopped() -> None:
    stop = threading.Event()
    stop.set()
    assert not Pacer(0.1).wait(stop)

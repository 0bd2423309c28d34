"""A component has recovered once it answers and its work counter moves, from any value."""

from __future__ import annotations

import time
from collections.abc import Iterator

from faults.recovery import watch


def counter(*values: float | None) -> Iterator[float | None]:
    yield from values
    while True:
        yield values[-1]


def test_working_once_the_counter_moves_after_ready() -> None:
    now = time.monotonic()
    values = counter(None, 0.0, 0.0, 3.0)
    recovered = watch(lambda: True, lambda: next(values), now, now + 5)
    assert recovered.ready is not None and recovered.working is not None
    assert recovered.ready < recovered.working < 2


def test_a_restarted_counter_starting_again_from_zero_counts_once_it_moves() -> None:
    now = time.monotonic()
    values = counter(40.0, 0.0, 1.0)
    assert watch(lambda: True, lambda: next(values), now, now + 5).working is not None


def test_without_a_work_signal_ready_is_working() -> None:
    now = time.monotonic()
    recovered = watch(lambda: True, None, now, now + 5)
    assert recovered.ready == recovered.working


def test_never_ready_or_never_working_within_the_deadline() -> None:
    now = time.monotonic()
    assert watch(lambda: False, None, now, now + 0.3).ready is None
    stuck = watch(lambda: True, lambda: 7.0, now, now + 0.6)
    assert stuck.ready is not None and stuck.working is None

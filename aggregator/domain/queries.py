"""GetOrderRate's request: which windows it asks for. Pure."""

from __future__ import annotations

from datetime import datetime

from aggregator.domain.windows import WINDOW, window_start

DEFAULT_MINUTES = 60
MAX_MINUTES = 24 * 60


def minutes_violations(minutes: int | None) -> list[tuple[str, str]]:
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES:
        return [("minutes", f"must be between 1 and {MAX_MINUTES}")]
    return []


def first_window(now: datetime, minutes: int | None) -> datetime:
    """The start of the oldest window asked for: the current minute counts as one."""
    return window_start(now) - WINDOW * ((minutes or DEFAULT_MINUTES) - 1)

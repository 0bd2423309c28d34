"""One-minute tumbling windows of event time, with allowed lateness.

A window holds what has been counted and what was last published. It is published while
it fills (at most once per publish interval) and once more, final, when the clock passes
its end plus the allowed lateness. An order that arrives after that still counts: the
window is published again, final, with the order in its late count.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

WINDOW = timedelta(seconds=60)
# V1 events carry no currency: every order before V2 was in dollars.
DEFAULT_CURRENCY = "USD"


def window_start(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Order:
    order_id: str
    created_at: datetime
    currency: str
    total_cents: int


@dataclass(frozen=True)
class WindowedOrder:
    """An order on its way to the owner of its window."""

    start: datetime
    order_id: str
    currency: str
    total_cents: int


def windowed(order: Order) -> WindowedOrder:
    return WindowedOrder(window_start(order.created_at), order.order_id, order.currency, order.total_cents)


@dataclass(frozen=True)
class CurrencyTotal:
    order_count: int = 0
    total_cents: int = 0


@dataclass(frozen=True)
class Count:
    """A window's value: as counted, or as published."""

    start: datetime
    order_count: int = 0
    currencies: dict[str, CurrencyTotal] = field(default_factory=dict)
    final: bool = False
    late_count: int = 0

    @property
    def orders_per_second(self) -> float:
        return self.order_count / WINDOW.total_seconds()

    def add(self, order: WindowedOrder, late: bool) -> Count:
        was = self.currencies.get(order.currency, CurrencyTotal())
        currencies = self.currencies | {
            order.currency: CurrencyTotal(was.order_count + 1, was.total_cents + order.total_cents)
        }
        return replace(
            self,
            order_count=self.order_count + 1,
            currencies=currencies,
            final=self.final or late,
            late_count=self.late_count + late,
        )


@dataclass(frozen=True)
class Window:
    counted: Count
    published: Count | None = None

    @property
    def start(self) -> datetime:
        return self.counted.start

    @property
    def unpublished(self) -> bool:
        return self.counted != self.published


@dataclass(frozen=True)
class Policy:
    allowed_lateness: timedelta = timedelta(seconds=10)
    publish_interval: timedelta = timedelta(seconds=1)

    def closes_at(self, start: datetime) -> datetime:
        return start + WINDOW + self.allowed_lateness


class Windows:
    """The windows of one partition of window-keyed orders; this member is their one writer."""

    def __init__(self, policy: Policy, windows: dict[datetime, Window] | None = None) -> None:
        self._policy = policy
        self._windows = dict(windows or {})
        # Windows with something left to do: not yet closed, or not yet published as counted.
        self._pending = {start for start, w in self._windows.items() if w.unpublished or not w.counted.final}
        # Publish times live only in memory: after a restart, pending windows go out at once.
        self._published_at: dict[datetime, datetime] = {}
        # Windows changed since their state was last handed out to be recorded.
        self._unrecorded: set[datetime] = set()

    def __getitem__(self, start: datetime) -> Window:
        return self._windows[start]

    def __len__(self) -> int:
        return len(self._windows)

    def add(self, order: WindowedOrder, now: datetime) -> tuple[Window, bool]:
        """The window with the order counted, and whether the order came after it closed."""
        late = now >= self._policy.closes_at(order.start)
        window = self._windows.get(order.start, Window(Count(order.start)))
        window = replace(window, counted=window.counted.add(order, late))
        self._windows[order.start] = window
        self._pending.add(order.start)
        self._unrecorded.add(order.start)
        return window, late

    def due(self, now: datetime) -> bool:
        return any(self._is_due(start, now) for start in self._pending)

    def publish(self, now: datetime) -> list[Window]:
        """Closes the windows whose lateness has passed and marks as published every window
        due now; returns them, to be published and recorded."""
        published = []
        for start in sorted(s for s in self._pending if self._is_due(s, now)):
            window = self._windows[start]
            counted = window.counted
            if not counted.final and now >= self._policy.closes_at(start):
                counted = replace(counted, final=True)
            window = Window(counted, counted)
            self._windows[start] = window
            self._published_at[start] = now
            self._unrecorded.discard(start)
            if counted.final:
                self._pending.discard(start)
            published.append(window)
        return published

    def unrecorded(self) -> list[Window]:
        """The windows changed since this was last asked (or since they were published),
        each once however many orders changed it; they count as recorded from now on."""
        changed = [self._windows[start] for start in sorted(self._unrecorded)]
        self._unrecorded.clear()
        return changed

    def _is_due(self, start: datetime, now: datetime) -> bool:
        window = self._windows[start]
        if not window.counted.final and now >= self._policy.closes_at(start):
            return True
        if not window.unpublished:
            return False
        last = self._published_at.get(start)
        closing = window.counted.final and not (window.published and window.published.final)
        return last is None or closing or now - last >= self._policy.publish_interval

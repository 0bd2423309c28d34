"""In-memory read models with the store's rules, and a projection loop over them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from orderflow_platform.shutdown import Shutdown
from projector.domain.model import (
    Event,
    MinuteCounted,
    OrderDecided,
    OrderLine,
    OrderPlaced,
    Status,
    StockChanged,
)
from projector.handlers import project


@dataclass
class OrderRow:
    user_id: str
    status: Status
    reason: str = ""
    lines: tuple[OrderLine, ...] = ()
    created_at: datetime | None = None
    decided_at: datetime | None = None


@dataclass
class FakeReadModels:
    orders: dict[str, OrderRow] = field(default_factory=dict)
    history: set[tuple[str, Status]] = field(default_factory=set)
    stock: dict[str, StockChanged] = field(default_factory=dict)
    per_minute: dict[datetime, int] = field(default_factory=dict)

    def place(self, orders: Sequence[OrderPlaced]) -> None:
        for o in orders:
            row = self.orders.setdefault(o.order_id, OrderRow(o.user_id, Status.PENDING))
            if row.created_at is None:
                row.user_id, row.lines, row.created_at = o.user_id, o.lines, o.created_at
                self.history.add((o.order_id, Status.PENDING))

    def decide(self, decisions: Sequence[OrderDecided]) -> None:
        for d in decisions:
            row = self.orders.setdefault(d.order_id, OrderRow(d.user_id, d.status))
            if row.decided_at is None:
                row.status, row.reason, row.decided_at = d.status, d.reason, d.decided_at
                self.history.add((d.order_id, d.status))

    def set_stock(self, levels: Sequence[StockChanged]) -> None:
        self.stock.update((s.sku, s) for s in levels)

    def count_minutes(self, counts: Sequence[MinuteCounted]) -> None:
        self.per_minute.update((c.minute, c.orders) for c in counts)


class ProjectionLoop:
    """The stream loop's part in a projector: projects what the log holds, then waits for the
    stop it is asked for."""

    def __init__(self, log: Sequence[Event], models: FakeReadModels) -> None:
        self._log, self.models = log, models
        self.caught_up = threading.Event()

    def run(self, shutdown: Shutdown) -> None:
        project(self._log, self.models)
        self.caught_up.set()
        shutdown.wait()

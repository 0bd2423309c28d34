"""What the projection needs from its store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from projector.domain.model import MinuteCounted, OrderDecided, OrderPlaced, StockChanged


class ReadModels(Protocol):
    """The read models, written inside the caller's transaction.

    Each method takes at most one change per order (or SKU) and is idempotent, so the
    same events applied twice, or in another order across topics, leave the same rows.
    """

    def place(self, orders: Sequence[OrderPlaced]) -> None:
        """Fills in each order, its lines and its PENDING history entry; an order already
        placed is left as it is."""

    def decide(self, decisions: Sequence[OrderDecided]) -> None:
        """Sets each order's outcome, creating the order row if its OrderCreated has not
        been projected yet; an order already decided is left as it is."""

    def set_stock(self, levels: Sequence[StockChanged]) -> None:
        """Replaces each SKU's stock level."""

    def count_minutes(self, counts: Sequence[MinuteCounted]) -> None:
        """Replaces each minute's order count."""

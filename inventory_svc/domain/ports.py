"""What InventoryService's use cases need from the outside world."""

from __future__ import annotations

from typing import Protocol

from inventory_svc.domain.commands import SetOnHand
from inventory_svc.domain.stock import Stock


class Unavailable(Exception):
    """A dependency (the command log, the read model) could not be reached in time."""


class StockCommandLog(Protocol):
    """Commands to the owner of a SKU, in the order they are sent."""

    async def set_on_hand(self, command: SetOnHand, trace_id: str | None) -> None:
        """Returns once the command is durably recorded (acks=all); raises Unavailable
        when it cannot be."""


class AppliedChanges(Protocol):
    """The SKUs' changes as their owners apply them, remembered by the request that caused them."""

    async def applied(self, request_id: str, timeout: float) -> Stock | None:
        """The SKU's stock right after the owner applied this request, or None when that
        was not seen within `timeout` seconds."""


class StockLevels(Protocol):
    """Stock as the projector's read model holds it (eventually consistent with the owners)."""

    async def level(self, sku: str) -> Stock | None:
        """The SKU's projected stock, or None when none was ever set; raises Unavailable
        when the read model cannot be read."""

"""What the order use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from order_svc.domain.model import Order
from order_svc.domain.queries import OrderView, PagePosition


class Unavailable(Exception):
    """A dependency (the event log, the ledger) could not be reached in time."""


class LogUnavailable(Unavailable):
    """The event log did not confirm the event within its bound."""


class OrderLog(Protocol):
    async def append(self, order: Order, trace_id: str | None) -> None:
        """Returns once the OrderCreated event is durably written (acks=all).

        Raises LogUnavailable when it cannot be written within its bound.
        """

    async def holds(self, order: Order, since: datetime) -> bool:
        """Whether an OrderCreated for order.order_id was written at or after `since`.

        Only asked once no earlier append of that order can still land. Raises
        LogUnavailable when the log cannot be read within its bound.
        """


class RequestState(Enum):
    CLAIMED = "claimed"
    APPENDED = "appended"


@dataclass(frozen=True)
class Claim:
    order_id: str
    fingerprint: str
    state: RequestState
    owned: bool  # True: this caller must append the event; False: another caller did or does
    claimed_at: datetime  # the key's first claim: no event of this order is older
    # Owned after an earlier attempt that may have written the event (it failed, timed out
    # or its instance died): the log, not the ledger, says whether it did.
    taken_over: bool = False


class RequestLedger(Protocol):
    """Which order each (user, idempotency key) produced, shared by every order_svc instance."""

    async def claim(self, user_id: str, key: str, order_id: str, fingerprint: str) -> Claim:
        """Records the key for order_id if it is new, or takes over a claim of the same
        request that has no live owner (abandoned, or its instance is gone); otherwise
        returns the existing record, not owned."""

    async def appended(self, user_id: str, key: str) -> None:
        """Marks the claimed order's event as written."""

    async def abandon(self, user_id: str, key: str) -> None:
        """Gives up this caller's claim once its attempt has ended without a known outcome:
        the next retry takes it over at once."""


class OrderQueries(Protocol):
    """Orders as the projector's read models hold them (eventually consistent with the log).

    An order is visible once its OrderCreated is projected.
    """

    async def get(self, order_id: str) -> OrderView | None:
        """The order, or None when it is not (yet) in the read model."""

    async def list_for_user(self, user_id: str, limit: int, after: PagePosition | None) -> list[OrderView]:
        """At most `limit` of the user's orders, newest first, starting after `after`."""

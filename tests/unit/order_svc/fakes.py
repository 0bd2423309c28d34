"""In-memory stand-ins for the order service's ports."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from order_svc.domain.model import Order
from order_svc.domain.ports import Claim, LogUnavailable, RequestState, Unavailable
from order_svc.domain.queries import OrderView, PagePosition, Status


class FakeOrderLog:
    def __init__(self) -> None:
        self.appended: list[Order] = []
        self.searches = 0
        self.down = False
        # The produce lands, but its acknowledgement is lost (a delivery timeout).
        self.lose_acks = False
        # While set, appends wait for it to be cleared: an append in flight.
        self.stalled: asyncio.Event | None = None

    async def append(self, order: Order, trace_id: str | None) -> None:
        if self.down:
            raise LogUnavailable("broker down")
        if self.stalled is not None:
            await self.stalled.wait()
        self.appended.append(order)
        if self.lose_acks:
            raise LogUnavailable("delivery timed out")

    async def holds(self, order: Order, since: datetime) -> bool:
        self.searches += 1
        if self.down:
            raise LogUnavailable("broker down")
        return any(o.order_id == order.order_id and o.created_at >= since for o in self.appended)

    def ids(self) -> list[str]:
        return [o.order_id for o in self.appended]


@dataclass(frozen=True)
class Row:
    order_id: str
    fingerprint: str
    state: RequestState
    owner: int | None
    claimed_at: datetime


class FakeLedgerStore:
    """What Postgres holds for every instance: the rows and which instances' locks are held."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Row] = {}
        self.live: set[int] = set()
        self.down = False
        # When set, recording an append waits for it (a slow round trip to Postgres).
        self.recording: asyncio.Event | None = None


class FakeRequestLedger:
    """One instance's view of the shared store, with the semantics of the SQL in postgres_ledger."""

    def __init__(self, store: FakeLedgerStore | None = None, instance: int = 1) -> None:
        self.store = store or FakeLedgerStore()
        self.instance = instance
        self.store.live.add(instance)

    def die(self) -> None:
        """Like kill -9: the instance's session, and its lock, are gone."""
        self.store.live.discard(self.instance)

    @property
    def rows(self) -> dict[tuple[str, str], Row]:
        return self.store.rows

    def _check(self) -> None:
        if self.store.down:
            raise Unavailable("postgres down")
        assert self.instance in self.store.live, "a dead instance makes no more calls"

    async def claim(self, user_id: str, key: str, order_id: str, fingerprint: str) -> Claim:
        self._check()
        row = self.rows.get((user_id, key))
        if row is None:
            row = Row(order_id, fingerprint, RequestState.CLAIMED, self.instance, datetime.now(UTC))
            self.rows[(user_id, key)] = row
            return Claim(row.order_id, row.fingerprint, row.state, True, row.claimed_at)
        stale = row.owner is None or row.owner not in self.store.live
        if row.state is RequestState.CLAIMED and row.fingerprint == fingerprint and stale:
            self.rows[(user_id, key)] = replace(row, owner=self.instance)
            return Claim(row.order_id, row.fingerprint, row.state, True, row.claimed_at, taken_over=True)
        return Claim(row.order_id, row.fingerprint, row.state, False, row.claimed_at)

    async def appended(self, user_id: str, key: str) -> None:
        self._check()
        if self.store.recording is not None:
            await self.store.recording.wait()
        self.rows[(user_id, key)] = replace(self.rows[(user_id, key)], state=RequestState.APPENDED)

    async def abandon(self, user_id: str, key: str) -> None:
        self._check()
        row = self.rows[(user_id, key)]
        if row.state is RequestState.CLAIMED and row.owner == self.instance:
            self.rows[(user_id, key)] = replace(row, owner=None)


class ProjectedOrders:
    """The read models as the projector leaves them once it has caught up with the log: every
    appended order, still PENDING."""

    def __init__(self, log: FakeOrderLog) -> None:
        self._log = log

    async def get(self, order_id: str) -> OrderView | None:
        return next((self._view(o) for o in self._log.appended if o.order_id == order_id), None)

    async def list_for_user(self, user_id: str, limit: int, after: PagePosition | None) -> list[OrderView]:
        mine = sorted(
            (self._view(o) for o in self._log.appended if o.user_id == user_id),
            key=lambda v: (v.created_at, v.order_id),
            reverse=True,
        )
        if after is not None:
            mine = [v for v in mine if (v.created_at, v.order_id) < (after.created_at, after.order_id)]
        return mine[:limit]

    @staticmethod
    def _view(order: Order) -> OrderView:
        return OrderView(
            order.order_id,
            order.user_id,
            order.lines,
            order.total_cents,
            order.currency,
            Status.PENDING,
            "",
            order.created_at,
            order.created_at,
        )

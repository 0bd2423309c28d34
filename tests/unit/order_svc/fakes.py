"""In-memory stand-ins for the order service's ports."""

from __future__ import annotations

from order_svc.domain.model import Order
from order_svc.domain.ports import Claim, LogUnavailable, RequestState


class FakeOrderLog:
    def __init__(self) -> None:
        self.appended: list[Order] = []
        self.down = False

    async def append(self, order: Order, trace_id: str | None) -> None:
        if self.down:
            raise LogUnavailable("broker down")
        self.appended.append(order)


class FakeRequestLedger:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str, str, RequestState]] = {}
        self.abandoned: set[tuple[str, str]] = set()

    async def claim(self, user_id: str, key: str, order_id: str, fingerprint: str) -> Claim:
        existing = self.rows.get((user_id, key))
        if existing is None:
            self.rows[(user_id, key)] = (order_id, fingerprint, RequestState.CLAIMED)
            return Claim(order_id, fingerprint, RequestState.CLAIMED, owned=True)
        if (user_id, key) in self.abandoned:
            self.abandoned.remove((user_id, key))
            return Claim(*existing, owned=True)
        return Claim(*existing, owned=False)

    async def appended(self, user_id: str, key: str) -> None:
        order_id, fingerprint, _ = self.rows[(user_id, key)]
        self.rows[(user_id, key)] = (order_id, fingerprint, RequestState.APPENDED)

    async def abandon(self, user_id: str, key: str) -> None:
        self.abandoned.add((user_id, key))

"""GetOrder and ListOrders over fake read models: validation, not-found and paging."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from order_svc import handlers
from order_svc.domain.model import InvalidOrder, OrderLine
from order_svc.domain.queries import (
    MAX_PAGE_SIZE,
    ListOrders,
    OrderNotFound,
    OrderView,
    PagePosition,
    Status,
    page_position,
    page_token,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeOrderQueries:
    def __init__(self, orders: list[OrderView]) -> None:
        self.orders = sorted(orders, key=lambda o: (o.created_at, o.order_id), reverse=True)

    async def get(self, order_id: str) -> OrderView | None:
        return next((o for o in self.orders if o.order_id == order_id), None)

    async def list_for_user(self, user_id: str, limit: int, after: PagePosition | None) -> list[OrderView]:
        mine = [o for o in self.orders if o.user_id == user_id]
        if after is not None:
            mine = [o for o in mine if (o.created_at, o.order_id) < (after.created_at, after.order_id)]
        return mine[:limit]


def order(user_id: str, minutes: int) -> OrderView:
    when = T0 + timedelta(minutes=minutes)
    lines = (OrderLine("A", 1, 5),)
    return OrderView(str(uuid.uuid4()), user_id, lines, 5, "EUR", Status.PENDING, "", when, when)


def test_get_order_finds_it_refuses_a_malformed_id_and_reports_an_unknown_one() -> None:
    known = order("u1", 0)
    queries = FakeOrderQueries([known])
    assert asyncio.run(handlers.get_order(known.order_id, queries)) == known
    with pytest.raises(InvalidOrder, match="order_id"):
        asyncio.run(handlers.get_order("not-a-uuid", queries))
    with pytest.raises(OrderNotFound):
        asyncio.run(handlers.get_order(str(uuid.uuid4()), queries))


def test_list_orders_pages_through_a_users_orders_newest_first() -> None:
    mine = [order("u1", m) for m in range(5)]
    queries = FakeOrderQueries([*mine, order("u2", 9)])
    seen: list[OrderView] = []
    token = ""
    while True:
        page = asyncio.run(handlers.list_orders(ListOrders("u1", 2, token), queries))
        seen += page.orders
        token = page_token(page.next_page)
        if not token:
            break
    assert seen == sorted(mine, key=lambda o: o.created_at, reverse=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (ListOrders("", 1), "user_id"),
        (ListOrders("u1", -1), "page_size"),
        (ListOrders("u1", 1, "x!"), "page_token"),
    ],
)
def test_list_orders_refuses_bad_arguments(query: ListOrders, field: str) -> None:
    with pytest.raises(InvalidOrder, match=field):
        asyncio.run(handlers.list_orders(query, FakeOrderQueries([])))


def test_page_tokens_round_trip_and_page_size_is_capped() -> None:
    position = PagePosition(T0, str(uuid.uuid4()))
    assert page_position(page_token(position)) == position
    queries = FakeOrderQueries([order("u1", m) for m in range(MAX_PAGE_SIZE + 5)])
    page = asyncio.run(handlers.list_orders(ListOrders("u1", 10 * MAX_PAGE_SIZE), queries))
    assert len(page.orders) == MAX_PAGE_SIZE and page.next_page is not None

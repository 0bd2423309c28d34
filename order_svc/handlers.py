"""Use cases of the order service."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

from order_svc.domain.model import CreateOrder, InvalidOrder, Order, Violation, fingerprint, place
from order_svc.domain.ports import LogUnavailable, OrderLog, OrderQueries, RequestLedger, RequestState
from order_svc.domain.queries import (
    ListOrders,
    OrderNotFound,
    OrderPage,
    OrderView,
    PagePosition,
    check_order_id,
    check_user_id,
    page_position,
    page_size,
)

IN_FLIGHT_POLL_SECONDS = 0.02


async def create_order(
    command: CreateOrder, log: OrderLog, ledger: RequestLedger, trace_id: str | None = None
) -> Order:
    """Validates the command and appends its OrderCreated event once; the order is PENDING.

    With an idempotency key, the first caller claims the key in the shared ledger and
    appends; every retry, on any instance, gets the same order id and appends nothing.
    Callers bound the wait for a claim held by another caller with their own deadline.
    Only when an append failed, or its outcome is unknown, does a retry append again, under
    the same order id, so consumers that key on order_id still see one order.
    """
    order = place(command, now=datetime.now(UTC))
    key = command.idempotency_key
    if key is None:
        await log.append(order, trace_id)
        return order
    digest = fingerprint(command)
    while True:
        claim = await ledger.claim(order.user_id, key, order.order_id, digest)
        if claim.fingerprint != digest:
            raise InvalidOrder([Violation("idempotency_key", "was already used for a different order")])
        if claim.owned:
            claimed = dataclasses.replace(order, order_id=claim.order_id)
            try:
                await log.append(claimed, trace_id)
            except (LogUnavailable, asyncio.CancelledError):
                # The write may still land (a timed-out produce is ambiguous), so the key
                # keeps its order id: the next retry appends again under that same id.
                await ledger.abandon(order.user_id, key)
                raise
            await ledger.appended(order.user_id, key)
            return claimed
        if claim.state is RequestState.APPENDED:
            return dataclasses.replace(order, order_id=claim.order_id)
        # Another caller is appending this very order right now: wait for its outcome.
        await asyncio.sleep(IN_FLIGHT_POLL_SECONDS)


async def get_order(order_id: str, queries: OrderQueries) -> OrderView:
    check_order_id(order_id)
    order = await queries.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


async def list_orders(query: ListOrders, queries: OrderQueries) -> OrderPage:
    check_user_id(query.user_id)
    size, after = page_size(query.page_size), page_position(query.page_token)
    # One more than a page: whether it exists says whether there is a next page.
    orders = await queries.list_for_user(query.user_id, size + 1, after)
    page = tuple(orders[:size])
    more = len(orders) > size
    return OrderPage(page, PagePosition(page[-1].created_at, page[-1].order_id) if more else None)

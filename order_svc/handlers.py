"""Use cases of the order service."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from order_svc.domain.model import CreateOrder, InvalidOrder, Order, Violation, fingerprint, place
from order_svc.domain.ports import Claim, OrderLog, OrderQueries, RequestLedger, RequestState, Unavailable
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

T = TypeVar("T")

IN_FLIGHT_POLL_SECONDS = 0.02
# A claim's outcome that Postgres could not take at once is retried in the background.
RECORD_RETRY_FIRST_SECONDS = 0.1
RECORD_RETRY_MAX_SECONDS = 2.0
# Producer clocks stamp the events, Postgres stamps the claims: search from a little earlier.
CLOCK_MARGIN = timedelta(seconds=30)

# Attempts and outcome records may outlive the call that started them (its deadline
# passed); the event loop keeps only weak references to tasks.
_running: set[asyncio.Task[Any]] = set()


async def create_order(
    command: CreateOrder, log: OrderLog, ledger: RequestLedger, trace_id: str | None = None
) -> Order:
    """Validates the command and appends its OrderCreated event once; the order is PENDING.

    With an idempotency key, the first caller claims the key in the shared ledger and
    appends; every retry, on any instance, gets the same order id and appends nothing.
    Callers bound the wait for a claim held by another caller with their own deadline.
    A claim left without an outcome (the append failed or timed out, or its instance
    died) is taken over by the next retry, which first asks the log whether the event
    landed after all, and appends only if it did not.
    """
    order = place(command, now=datetime.now(UTC))
    key = command.idempotency_key
    if key is None:
        await log.append(order, trace_id)
        return order
    digest = fingerprint(command)
    while True:
        # Shielded: a caller whose deadline passes leaves an owned attempt to finish and
        # record its outcome, so a claim of a live instance always gets one.
        claim = await asyncio.shield(
            _in_background(_attempt(order, key, digest, log, ledger, trace_id=trace_id))
        )
        if claim.fingerprint != digest:
            raise InvalidOrder([Violation("idempotency_key", "was already used for a different order")])
        if claim.owned or claim.state is RequestState.APPENDED:
            return dataclasses.replace(order, order_id=claim.order_id)
        # Another caller is appending this very order right now: wait for its outcome.
        await asyncio.sleep(IN_FLIGHT_POLL_SECONDS)


async def _attempt(
    order: Order, key: str, digest: str, log: OrderLog, ledger: RequestLedger, *, trace_id: str | None
) -> Claim:
    """Claims the key and, when this caller owns it, makes sure its event is written once."""
    claim = await ledger.claim(order.user_id, key, order.order_id, digest)
    if not claim.owned:
        return claim
    claimed = dataclasses.replace(order, order_id=claim.order_id)
    try:
        # Every earlier attempt has ended (abandoned, or its instance is dead), so what the
        # log holds now is all it will ever hold of them.
        if not (claim.taken_over and await log.holds(claimed, claim.claimed_at - CLOCK_MARGIN)):
            await log.append(claimed, trace_id)
    except Exception:
        # The write may still have landed (a timed-out produce is ambiguous), so the key
        # keeps its order id and the next retry asks the log before appending again.
        await _record(ledger.abandon, order.user_id, key)
        raise
    # The answer needs only the event in the log, not this record of it: a round trip less
    # for the caller. Until it lands a retry of the key waits as for an append in flight;
    # should this instance die first, the retry takes the claim over and finds the event.
    _in_background(_record(ledger.appended, order.user_id, key))
    return claim


async def _record(outcome: Callable[[str, str], Awaitable[None]], user_id: str, key: str) -> None:
    """Records a claim's outcome, retrying in the background while Postgres cannot take it:
    meanwhile retries of the key wait, as they would for an append in flight."""
    try:
        await outcome(user_id, key)
    except Unavailable:
        _in_background(_record_until_taken(outcome, user_id, key))


async def _record_until_taken(outcome: Callable[[str, str], Awaitable[None]], user_id: str, key: str) -> None:
    delay = RECORD_RETRY_FIRST_SECONDS
    while True:
        await asyncio.sleep(delay)
        try:
            await outcome(user_id, key)
            return
        except Unavailable:
            delay = min(delay * 2, RECORD_RETRY_MAX_SECONDS)


async def recorded(timeout: float) -> None:
    """Waits up to `timeout` seconds for the attempts and records still in the background
    (at shutdown, before the ledger's pool closes)."""
    if _running:
        await asyncio.wait(set(_running), timeout=timeout)


def _in_background(coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    task = asyncio.create_task(coroutine)
    _running.add(task)
    task.add_done_callback(_settled)
    return task


def _settled(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    # A caller that gave up no longer awaits the outcome; its failure is in the ledger.
    if not task.cancelled():
        task.exception()


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

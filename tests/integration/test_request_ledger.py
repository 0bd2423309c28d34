"""The request ledger against the stack's Postgres: who owns a claim, and when it is stale."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
import pytest

from order_svc import bootstrap
from order_svc.adapters.postgres_ledger import LOCK_SPACE, InstanceLock, PostgresRequestLedger
from order_svc.domain.ports import Claim, RequestState, Unavailable
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually_async


@asynccontextmanager
async def instance(settings: Settings) -> AsyncIterator[tuple[InstanceLock, PostgresRequestLedger]]:
    """One order_svc instance's ledger: its own pool and its own lock."""
    async with (
        bootstrap.ledger_pool(settings) as pool,
        bootstrap.instance_lock(settings) as lock,
    ):
        yield lock, PostgresRequestLedger(pool, lock)


def test_a_claim_is_taken_over_as_soon_as_its_owners_session_is_gone(settings: Settings, unique: str) -> None:
    async def scenario() -> tuple[Claim, Claim, Claim]:
        user = f"ledger-{unique}"
        async with instance(settings) as (_lock_b, b):
            async with instance(settings) as (_lock_a, a):
                first = await a.claim(user, "k", f"order-{unique}", "fp")
                while_alive = await b.claim(user, "k", f"other-{unique}", "fp")
            after_death = await b.claim(user, "k", f"third-{unique}", "fp")
        return first, while_alive, after_death

    first, while_alive, after_death = asyncio.run(scenario())
    assert (first.owned, first.taken_over) == (True, False)
    assert (while_alive.owned, while_alive.order_id) == (False, first.order_id)
    assert (after_death.owned, after_death.taken_over) == (True, True)
    assert after_death.order_id == first.order_id
    assert after_death.claimed_at == first.claimed_at, "the first claim's time, where the log search starts"


def test_a_dead_owners_claim_is_not_taken_over_by_a_different_request(
    settings: Settings, unique: str
) -> None:
    async def scenario() -> tuple[Claim, Claim]:
        user = f"ledger-{unique}"
        async with instance(settings) as (_lock_b, b):
            async with instance(settings) as (_lock_a, a):
                await a.claim(user, "k", f"order-{unique}", "fp")
            other = await b.claim(user, "k", f"other-{unique}", "another fp")
            retry = await b.claim(user, "k", f"third-{unique}", "fp")
        return other, retry

    other, retry = asyncio.run(scenario())
    assert (other.owned, other.fingerprint) == (False, "fp")
    assert retry.owned, "still free for the request that made it"


def test_an_abandoned_claim_is_taken_over_and_an_appended_one_never(settings: Settings, unique: str) -> None:
    async def scenario() -> tuple[Claim, Claim, Claim]:
        async with instance(settings) as (_lock, ledger):
            await ledger.claim(f"ledger-{unique}", "k", f"order-{unique}", "fp")
            await ledger.abandon(f"ledger-{unique}", "k")
            taken = await ledger.claim(f"ledger-{unique}", "k", f"other-{unique}", "fp")
            await ledger.appended(f"ledger-{unique}", "k")
            async with instance(settings) as (_other_lock, other):
                done = await other.claim(f"ledger-{unique}", "k", f"third-{unique}", "fp")
            await ledger.abandon(f"ledger-{unique}", "k")
            still = await ledger.claim(f"ledger-{unique}", "k", f"fourth-{unique}", "fp")
        return taken, done, still

    taken, done, still = asyncio.run(scenario())
    assert (taken.owned, taken.taken_over) == (True, True)
    assert (done.owned, done.state) == (False, RequestState.APPENDED)
    assert (still.owned, still.state) == (False, RequestState.APPENDED)


def test_a_lost_lock_session_refuses_claims_until_the_same_lock_is_taken_again(
    settings: Settings, unique: str
) -> None:
    async def scenario() -> tuple[int, int]:
        async with instance(settings) as (lock, ledger):
            number = lock.number
            with psycopg.connect(settings.postgres.dsn, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND classid::bigint = %s AND objid::bigint = %s",
                    (LOCK_SPACE, number),
                )

            def refused() -> bool:
                try:
                    _ = lock.number
                except Unavailable:
                    return True
                return False

            await eventually_async(refused)
            with pytest.raises(Unavailable):
                await ledger.claim(f"ledger-{unique}", "k", f"order-{unique}", "fp")
            await eventually_async(lambda: not refused())
            return number, lock.number

    before, after = asyncio.run(scenario())
    assert before == after


def test_claims_made_together_are_one_batch_and_a_key_asked_twice_has_one_owner(
    settings: Settings, unique: str
) -> None:
    async def scenario() -> tuple[list[Claim], list[Claim]]:
        user = f"ledger-{unique}"
        async with instance(settings) as (_lock, ledger):
            # Gathered, so they reach the ledger together and are group-committed.
            claims = await asyncio.gather(
                *(ledger.claim(user, f"k{i % 3}", f"order-{i}-{unique}", "fp") for i in range(9))
            )
            await asyncio.gather(*(ledger.appended(user, f"k{i}") for i in range(3)))
            again = await asyncio.gather(
                *(ledger.claim(user, f"k{i}", f"again-{i}-{unique}", "fp") for i in range(3))
            )
        return list(claims), list(again)

    claims, again = asyncio.run(scenario())
    for key in range(3):
        of_key = claims[key::3]
        assert [c.owned for c in of_key] == [True, False, False], "the first asker owns it"
        assert {c.order_id for c in of_key} == {f"order-{key}-{unique}"}
    assert [(c.owned, c.state, c.order_id) for c in again] == [
        (False, RequestState.APPENDED, f"order-{i}-{unique}") for i in range(3)
    ]

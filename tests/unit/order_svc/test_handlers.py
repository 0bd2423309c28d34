import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from order_svc import handlers
from order_svc.domain.model import CreateOrder, InvalidOrder, OrderLine, fingerprint, place
from order_svc.domain.ports import LogUnavailable, RequestState, Unavailable
from tests.unit.order_svc.fakes import FakeLedgerStore, FakeOrderLog, FakeRequestLedger

LINES = (OrderLine("SKU-1", 2, 250),)


def command(key: str | None = None, total: int = 500) -> CreateOrder:
    return CreateOrder("alice", LINES if total == 500 else (OrderLine("SKU-1", 1, total),), total, key)


def test_an_order_without_key_is_appended_each_time() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    first = asyncio.run(handlers.create_order(command(), log, ledger))
    second = asyncio.run(handlers.create_order(command(), log, ledger))
    assert first.order_id != second.order_id
    assert [o.order_id for o in log.appended] == [first.order_id, second.order_id]
    assert ledger.rows == {}


def test_a_retried_key_returns_the_same_order_and_appends_once() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    first = asyncio.run(handlers.create_order(command("k1"), log, ledger))
    retry = asyncio.run(handlers.create_order(command("k1"), log, ledger))
    assert retry.order_id == first.order_id
    assert len(log.appended) == 1


def test_a_key_reused_for_another_order_is_refused() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    asyncio.run(handlers.create_order(command("k1"), log, ledger))
    with pytest.raises(InvalidOrder) as refused:
        asyncio.run(handlers.create_order(command("k1", total=900), log, ledger))
    assert [v.field for v in refused.value.violations] == ["idempotency_key"]
    assert len(log.appended) == 1


def test_a_key_reused_with_another_currency_or_address_is_refused() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    euros = dataclasses.replace(command("k1"), currency="EUR", contact_email="alice@example.com")
    first = asyncio.run(handlers.create_order(euros, log, ledger))
    assert asyncio.run(handlers.create_order(euros, log, ledger)).order_id == first.order_id
    for other in (
        dataclasses.replace(euros, currency="GBP"),
        dataclasses.replace(euros, contact_email="bob@example.com"),
        command("k1"),
    ):
        with pytest.raises(InvalidOrder) as refused:
            asyncio.run(handlers.create_order(other, log, ledger))
        assert [v.field for v in refused.value.violations] == ["idempotency_key"]
    assert [(o.currency, o.contact_email) for o in log.appended] == [("EUR", "alice@example.com")]


def test_a_retry_after_a_failed_append_appends_under_the_same_order_id() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    log.down = True
    with pytest.raises(LogUnavailable):
        asyncio.run(handlers.create_order(command("k1"), log, ledger))
    (row,) = ledger.rows.values()
    assert row.owner is None, "abandoned: the next retry takes it over at once"
    log.down = False
    order = asyncio.run(handlers.create_order(command("k1"), log, ledger))
    assert order.order_id == row.order_id
    assert log.ids() == [row.order_id]
    assert log.searches == 1, "the log was asked before appending again"


def test_invalid_commands_touch_neither_ledger_nor_log() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    with pytest.raises(InvalidOrder):
        asyncio.run(handlers.create_order(command("k1", total=-1), log, ledger))
    assert (log.appended, ledger.rows) == ([], {})


def test_a_produce_that_landed_without_its_ack_is_not_appended_again() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    log.lose_acks = True
    with pytest.raises(LogUnavailable):
        asyncio.run(handlers.create_order(command("k1"), log, ledger))
    log.lose_acks = False
    order = asyncio.run(handlers.create_order(command("k1"), log, ledger))
    assert log.ids() == [order.order_id]
    assert ledger.rows[("alice", "k1")].state is RequestState.APPENDED


def killed_after(landed: bool) -> tuple[FakeOrderLog, FakeLedgerStore, str]:
    """Instance 1 claimed k1 and was killed before recording its append, which `landed` or not."""
    log, store = FakeOrderLog(), FakeLedgerStore()
    dead = FakeRequestLedger(store, instance=1)
    order = place(command("k1"), datetime.now(UTC))
    asyncio.run(dead.claim("alice", "k1", order.order_id, fingerprint(command("k1"))))
    if landed:
        log.appended.append(order)
    dead.die()
    return log, store, order.order_id


@pytest.mark.parametrize("landed", [True, False])
def test_a_dead_owners_claim_is_taken_over_at_once_and_its_event_written_once(landed: bool) -> None:
    log, store, order_id = killed_after(landed)
    order = asyncio.run(handlers.create_order(command("k1"), log, FakeRequestLedger(store, instance=2)))
    assert order.order_id == order_id
    assert log.ids() == [order_id]
    assert store.rows[("alice", "k1")].state is RequestState.APPENDED


def test_a_live_owners_claim_is_waited_for_not_taken_over() -> None:
    store, log = FakeLedgerStore(), FakeOrderLog()
    one, two = FakeRequestLedger(store, instance=1), FakeRequestLedger(store, instance=2)

    async def scenario() -> tuple[str, str]:
        log.stalled = asyncio.Event()
        first = asyncio.create_task(handlers.create_order(command("k1"), log, one))
        retry = asyncio.create_task(handlers.create_order(command("k1"), log, two))
        while not store.rows:
            await asyncio.sleep(0)
        await asyncio.sleep(handlers.IN_FLIGHT_POLL_SECONDS * 3)
        assert not retry.done(), "the retry waits while the owner's append is in flight"
        log.stalled.set()
        return (await first).order_id, (await retry).order_id

    first_id, retry_id = asyncio.run(scenario())
    assert first_id == retry_id
    assert log.ids() == [first_id]
    assert log.searches == 0


def test_the_answer_does_not_wait_for_the_append_to_be_recorded() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()

    async def scenario() -> str:
        ledger.store.recording = asyncio.Event()
        async with asyncio.timeout(1):
            order = await handlers.create_order(command("k1"), log, ledger)
        assert ledger.rows[("alice", "k1")].state is RequestState.CLAIMED
        ledger.store.recording.set()
        await handlers.recorded(timeout=1)
        return order.order_id

    order_id = asyncio.run(scenario())
    assert log.ids() == [order_id]
    assert ledger.rows[("alice", "k1")].state is RequestState.APPENDED


def test_a_caller_that_gives_up_leaves_its_append_to_finish_and_be_recorded() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()

    async def scenario() -> str:
        log.stalled = asyncio.Event()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await handlers.create_order(command("k1"), log, ledger)
        assert ledger.rows[("alice", "k1")].owner == ledger.instance, "still this instance's"
        log.stalled.set()
        return (await handlers.create_order(command("k1"), log, ledger)).order_id

    order_id = asyncio.run(scenario())
    assert log.ids() == [order_id]
    assert ledger.rows[("alice", "k1")].state is RequestState.APPENDED


def test_an_append_is_answered_while_postgres_cannot_record_it_and_recorded_once_it_can() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()

    async def scenario() -> None:
        log.stalled = asyncio.Event()
        first = asyncio.create_task(handlers.create_order(command("k1"), log, ledger))
        while not ledger.rows:
            await asyncio.sleep(0)
        ledger.store.down = True
        log.stalled.set()
        order = await first
        assert ledger.rows[("alice", "k1")].state is RequestState.CLAIMED
        ledger.store.down = False
        retried = await handlers.create_order(command("k1"), log, ledger)
        assert retried.order_id == order.order_id

    asyncio.run(scenario())
    assert len(log.appended) == 1
    assert ledger.rows[("alice", "k1")].state is RequestState.APPENDED


def test_an_unreadable_log_at_takeover_is_unavailable_and_the_claim_left_for_the_next_retry() -> None:
    log, store, order_id = killed_after(landed=True)
    alive = FakeRequestLedger(store, instance=2)
    log.down = True
    with pytest.raises(LogUnavailable):
        asyncio.run(handlers.create_order(command("k1"), log, alive))
    assert store.rows[("alice", "k1")].owner is None
    log.down = False
    assert asyncio.run(handlers.create_order(command("k1"), log, alive)).order_id == order_id
    assert log.ids() == [order_id]


def test_postgres_down_is_unavailable_with_nothing_appended() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    ledger.store.down = True
    with pytest.raises(Unavailable):
        asyncio.run(handlers.create_order(command("k1"), log, ledger))
    assert log.appended == []

import asyncio

import pytest

from order_svc import handlers
from order_svc.domain.model import CreateOrder, InvalidOrder, OrderLine
from order_svc.domain.ports import LogUnavailable
from tests.unit.order_svc.fakes import FakeOrderLog, FakeRequestLedger

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


def test_a_retry_after_a_failed_append_appends_under_the_same_order_id() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    log.down = True
    with pytest.raises(LogUnavailable):
        asyncio.run(handlers.create_order(command("k1"), log, ledger))
    ((claimed_id, _, _),) = ledger.rows.values()
    log.down = False
    order = asyncio.run(handlers.create_order(command("k1"), log, ledger))
    assert order.order_id == claimed_id
    assert [o.order_id for o in log.appended] == [claimed_id]


def test_invalid_commands_touch_neither_ledger_nor_log() -> None:
    log, ledger = FakeOrderLog(), FakeRequestLedger()
    with pytest.raises(InvalidOrder):
        asyncio.run(handlers.create_order(command("k1", total=-1), log, ledger))
    assert (log.appended, ledger.rows) == ([], {})

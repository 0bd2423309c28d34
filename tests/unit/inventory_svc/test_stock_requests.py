"""SetStock and GetStock over fakes of their ports: the owner played by the pure domain."""

from __future__ import annotations

import asyncio

import pytest

from inventory_svc import handlers
from inventory_svc.domain import stock as stock_rules
from inventory_svc.domain.commands import SetOnHand
from inventory_svc.domain.ports import Unavailable
from inventory_svc.domain.requests import BelowReserved, InvalidStockRequest, NoStock, NotApplied, SetStock
from inventory_svc.domain.stock import Stock


class FakeOwner:
    """The command log and the changes it causes: commands applied as the owner would."""

    def __init__(self, *stock: Stock, applies: bool = True, records: bool = True) -> None:
        self.stock = {s.sku: s for s in stock}
        self.sent: list[SetOnHand] = []
        self._applied: dict[str, Stock] = {}
        self._applies, self._records = applies, records

    async def set_on_hand(self, command: SetOnHand, trace_id: str | None) -> None:
        if not self._records:
            raise Unavailable("no broker")
        self.sent.append(command)
        if self._applies:
            current = self.stock.get(command.sku, Stock(command.sku))
            self.stock[command.sku], _ = stock_rules.set_on_hand(current, command.quantity)
            self._applied[command.request_id] = self.stock[command.sku]

    async def applied(self, request_id: str, timeout: float) -> Stock | None:
        return self._applied.get(request_id)

    async def level(self, sku: str) -> Stock | None:
        return self.stock.get(sku)


def set_stock(owner: FakeOwner, sku: str, quantity: int | None) -> Stock:
    return asyncio.run(handlers.set_stock(SetStock(sku, quantity), "trace", owner, owner, lambda: 1.0))


def test_set_stock_answers_the_stock_its_owner_applied() -> None:
    owner = FakeOwner(Stock("SKU-1", on_hand=5, reserved=2))
    assert set_stock(owner, "SKU-1", 9) == Stock("SKU-1", on_hand=9, reserved=2)
    assert [(c.sku, c.quantity) for c in owner.sent] == [("SKU-1", 9)]


def test_set_stock_names_every_invalid_field_and_sends_nothing() -> None:
    owner = FakeOwner()
    with pytest.raises(InvalidStockRequest) as invalid:
        set_stock(owner, "", None)
    assert [field for field, _ in invalid.value.violations] == ["sku", "quantity"]
    assert owner.sent == []


def test_set_stock_below_the_reserved_units_is_refused_and_the_stock_kept() -> None:
    owner = FakeOwner(Stock("SKU-1", on_hand=5, reserved=4))
    with pytest.raises(BelowReserved, match="quantity: 3 is below the 4 units reserved"):
        set_stock(owner, "SKU-1", 3)
    assert owner.stock["SKU-1"] == Stock("SKU-1", on_hand=5, reserved=4)


def test_set_stock_not_recorded_or_not_applied_in_time_is_told_apart() -> None:
    with pytest.raises(Unavailable):
        set_stock(FakeOwner(records=False), "SKU-1", 1)
    with pytest.raises(NotApplied):
        set_stock(FakeOwner(applies=False), "SKU-1", 1)


def test_get_stock_reads_the_levels_and_refuses_an_unknown_or_invalid_sku() -> None:
    owner = FakeOwner(Stock("SKU-1", on_hand=5, reserved=2))
    assert asyncio.run(handlers.get_stock("SKU-1", owner)).available == 3
    with pytest.raises(NoStock):
        asyncio.run(handlers.get_stock("SKU-2", owner))
    with pytest.raises(InvalidStockRequest):
        asyncio.run(handlers.get_stock("sku 1", owner))

from datetime import UTC, datetime

import pytest

from order_svc.domain.model import (
    MAX_ITEMS,
    CreateOrder,
    InvalidOrder,
    OrderLine,
    place,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)
LINE = OrderLine("SKU-1", 2, 250)


def command(**changes: object) -> CreateOrder:
    fields: dict[str, object] = {"user_id": "alice", "lines": (LINE,), "total_cents": 500}
    fields.update(changes)
    return CreateOrder(**fields)  # type: ignore[arg-type]


def violated_fields(cmd: CreateOrder) -> list[str]:
    with pytest.raises(InvalidOrder) as error:
        place(cmd, NOW)
    return [v.field for v in error.value.violations]


def test_a_valid_command_becomes_an_order_with_a_fresh_id() -> None:
    first, second = place(command(), NOW), place(command(), NOW)
    assert first.order_id != second.order_id
    assert (first.user_id, first.lines, first.total_cents, first.created_at) == ("alice", (LINE,), 500, NOW)


def test_a_given_id_is_kept() -> None:
    assert place(command(), NOW, order_id="o-1").order_id == "o-1"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"user_id": ""}, ["user_id"]),
        ({"user_id": "x" * 65}, ["user_id"]),
        ({"user_id": "bob smith"}, ["user_id"]),
        ({"lines": ()}, ["items"]),
        ({"lines": (LINE,) * (MAX_ITEMS + 1), "total_cents": 500 * (MAX_ITEMS + 1)}, ["items"]),
        ({"lines": (OrderLine("sku-lower", 1, 1),), "total_cents": 1}, ["items[0].sku"]),
        ({"lines": (OrderLine("SKU-1", 0, 1),), "total_cents": 0}, ["items[0].quantity"]),
        ({"lines": (OrderLine("SKU-1", -3, 1),), "total_cents": -3}, ["items[0].quantity"]),
        ({"lines": (OrderLine("SKU-1", 1, -1),), "total_cents": -1}, ["items[0].unit_price_cents"]),
        ({"total_cents": 499}, ["total_cents"]),
        ({"idempotency_key": ""}, ["idempotency_key"]),
        ({"idempotency_key": "k" * 129}, ["idempotency_key"]),
        ({"idempotency_key": "has space"}, ["idempotency_key"]),
    ],
)
def test_each_violation_names_its_field(changes: dict[str, object], fields: list[str]) -> None:
    assert violated_fields(command(**changes)) == fields


def test_all_violations_are_reported_at_once() -> None:
    bad = command(user_id="", lines=(OrderLine("", 0, -1), LINE), idempotency_key=" ")
    assert violated_fields(bad) == [
        "user_id",
        "items[0].sku",
        "items[0].quantity",
        "items[0].unit_price_cents",
        "idempotency_key",
    ]

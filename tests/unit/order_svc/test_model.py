import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from order_svc.domain.model import (
    MAX_ITEMS,
    CreateOrder,
    InvalidOrder,
    OrderLine,
    fingerprint,
    place,
    time_ordered_id,
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
        ({"currency": ""}, ["currency"]),
        ({"currency": "eur"}, ["currency"]),
        ({"currency": "EU"}, ["currency"]),
        ({"currency": "EURO"}, ["currency"]),
        ({"currency": "ABC"}, ["currency"]),  # three letters, but no ISO 4217 code
        ({"currency": " EUR"}, ["currency"]),
        ({"contact_email": ""}, ["contact_email"]),
        ({"contact_email": "alice"}, ["contact_email"]),
        ({"contact_email": "alice@"}, ["contact_email"]),
        ({"contact_email": "alice@localhost"}, ["contact_email"]),
        ({"contact_email": "alice@shop.test"}, ["contact_email"]),  # a reserved domain
        ({"contact_email": "alice smith@example.com"}, ["contact_email"]),
        ({"contact_email": "alice@example.com\nBcc: x@example.com"}, ["contact_email"]),
        ({"contact_email": "a" * 250 + "@example.com"}, ["contact_email"]),  # over 254 characters
    ],
)
def test_each_violation_names_its_field(changes: dict[str, object], fields: list[str]) -> None:
    assert violated_fields(command(**changes)) == fields


def test_all_violations_are_reported_at_once() -> None:
    bad = command(
        user_id="",
        lines=(OrderLine("", 0, -1), LINE),
        idempotency_key=" ",
        currency="XYZ",
        contact_email="nobody",
    )
    assert violated_fields(bad) == [
        "user_id",
        "items[0].sku",
        "items[0].quantity",
        "items[0].unit_price_cents",
        "idempotency_key",
        "currency",
        "contact_email",
    ]


def test_without_currency_an_order_is_in_dollars_and_has_no_contact_address() -> None:
    order = place(command(), NOW)
    assert (order.currency, order.contact_email) == ("USD", None)


@pytest.mark.parametrize("currency", ["EUR", "JPY", "CHF", "USD"])
def test_a_known_currency_is_kept(currency: str) -> None:
    assert place(command(currency=currency), NOW).currency == currency


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice@Example.COM", "Alice@example.com"),
        ("jörg@bücher.example.org", "jörg@bücher.example.org"),
    ],
)
def test_a_contact_address_is_kept_normalized(given: str, kept: str) -> None:
    assert place(command(contact_email=given), NOW).contact_email == kept


def test_a_refused_address_says_why() -> None:
    with pytest.raises(InvalidOrder) as error:
        place(command(contact_email="alice"), NOW)
    (violation,) = error.value.violations
    assert "@" in violation.description


def test_the_fingerprint_of_an_order_without_currency_or_address_is_the_one_before_v2() -> None:
    # Keys claimed before V2 hold this digest; their retries must still match it.
    before_v2 = hashlib.sha256(b"alice|SKU-1x2@250|500").hexdigest()
    assert fingerprint(command()) == before_v2
    assert fingerprint(command(currency="USD")) == before_v2


@pytest.mark.parametrize(
    "changes",
    [
        {"currency": "EUR"},
        {"contact_email": "alice@example.com"},
        {"currency": "USD", "contact_email": "a@b.io"},
    ],
)
def test_currency_and_contact_address_are_part_of_the_fingerprint(changes: dict[str, object]) -> None:
    assert fingerprint(command(**changes)) != fingerprint(command())
    assert fingerprint(command(**changes)) == fingerprint(command(**changes))


def test_the_fingerprint_tells_currencies_and_addresses_apart_but_not_spellings_of_one_address() -> None:
    assert fingerprint(command(currency="EUR")) != fingerprint(command(currency="GBP"))
    assert fingerprint(command(contact_email="a@example.com")) != fingerprint(
        command(contact_email="b@example.com")
    )
    assert fingerprint(command(contact_email="a@EXAMPLE.com")) == fingerprint(
        command(contact_email="a@example.com")
    )


def test_an_order_id_is_a_uuid_7_carrying_the_millisecond_it_was_placed() -> None:
    order_id = uuid.UUID(place(command(), NOW).order_id)
    assert (order_id.version, order_id.variant) == (7, uuid.RFC_4122)
    assert order_id.int >> 80 == int(NOW.timestamp() * 1000)


def test_order_ids_sort_by_the_time_they_were_placed_and_differ_within_a_millisecond() -> None:
    ids = [time_ordered_id(NOW + timedelta(milliseconds=ms)) for ms in (0, 0, 1, 2, 1000)]
    assert len(set(ids)) == len(ids)
    assert sorted(ids[1:]) == ids[1:] and max(ids[:2]) < ids[2]

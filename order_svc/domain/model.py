"""Orders as the domain sees them: a validated request becomes an order with an id.

Pure: no gRPC, Kafka or database here (pycountry and email-validator are data and syntax
rules, no I/O). Every bound is checked and every violation names its field with the path a
client sent (`items[2].quantity`).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import pycountry
from email_validator import EmailNotValidError, validate_email

MAX_USER_ID_LENGTH = 64
MAX_ITEMS = 100
MAX_QUANTITY = 10_000
MAX_UNIT_PRICE_CENTS = 100_000_000
MAX_IDEMPOTENCY_KEY_LENGTH = 128
USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]*")
SKU = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces
CURRENCY = re.compile(r"[A-Z]{3}")
# ISO 4217 as pycountry ships it (the iso-codes list, updated with the standard);
# pycountry's own lookup ignores case, hence the pattern as well.
KNOWN_CURRENCIES = frozenset(currency.alpha_3 for currency in pycountry.currencies)
# What an order without a currency is priced in, as every V1 order was.
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class CreateOrder:
    """The command: what a client asked for, not yet validated."""

    user_id: str
    lines: tuple[OrderLine, ...]
    total_cents: int
    idempotency_key: str | None = None
    currency: str | None = None
    contact_email: str | None = None


@dataclass(frozen=True)
class Violation:
    field: str
    description: str


@dataclass
class InvalidOrder(Exception):
    violations: list[Violation] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{v.field}: {v.description}" for v in self.violations)


@dataclass(frozen=True)
class Order:
    order_id: str
    user_id: str
    lines: tuple[OrderLine, ...]
    total_cents: int
    created_at: datetime
    idempotency_key: str | None = None
    currency: str = DEFAULT_CURRENCY
    # Normalized (lower-case after the @, Unicode in NFC): the address notices are sent to.
    contact_email: str | None = None


def validate(command: CreateOrder) -> None:
    """Raises InvalidOrder listing every violation, so a client can fix them all at once."""
    violations = [*user_violations(command.user_id), *_line_violations(command.lines)]
    if not violations and command.total_cents != sum(
        line.quantity * line.unit_price_cents for line in command.lines
    ):
        violations.append(Violation("total_cents", "must equal the sum of quantity * unit_price_cents"))
    key = command.idempotency_key
    if key is not None and (len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not IDEMPOTENCY_KEY.fullmatch(key)):
        violations.append(
            Violation(
                "idempotency_key", f"must be 1..{MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters"
            )
        )
    currency = command.currency
    if currency is not None and not (CURRENCY.fullmatch(currency) and currency in KNOWN_CURRENCIES):
        violations.append(Violation("currency", "must be a known ISO 4217 code in upper case, e.g. EUR"))
    if command.contact_email is not None:
        try:
            normalized_email(command.contact_email)
        except EmailNotValidError as error:
            violations.append(Violation("contact_email", f"must be an email address: {error}"))
    if violations:
        raise InvalidOrder(violations)


# validate, place and fingerprint each ask for one request's address, and parsing it is the
# dearest step of intake (40 to 60 us; several times that for an internationalized one).
@lru_cache(maxsize=1024)
def normalized_email(address: str) -> str:
    """The address normalized; raises EmailNotValidError for one that is not an address.

    Syntax only: a DNS lookup per order would make intake wait on resolvers, and whether
    the mailbox exists only its mail server can say.
    """
    return validate_email(address, check_deliverability=False).normalized


def fingerprint(command: CreateOrder) -> str:
    """A digest of what was ordered: a retry matches it, a different order under the same key does not.

    Currency and contact address join the digest only when they differ from an order
    without them, so keys claimed before V2 still match their retries, and an explicit
    USD is the same request as no currency.
    """
    lines = ";".join(f"{line.sku}x{line.quantity}@{line.unit_price_cents}" for line in command.lines)
    what = f"{command.user_id}|{lines}|{command.total_cents}"
    currency = command.currency or DEFAULT_CURRENCY
    email = normalized_email(command.contact_email) if command.contact_email is not None else ""
    if currency != DEFAULT_CURRENCY or email:
        what += f"|{currency}|{email}"
    return hashlib.sha256(what.encode()).hexdigest()


def time_ordered_id(now: datetime) -> str:
    """A UUID version 7 (RFC 9562): the time in milliseconds, then 74 random bits.

    Every table keyed by order id inserts at the end of its index instead of on a random
    page of it: on a read model larger than Postgres' buffers, random ids made each order
    rewrite several index pages whole into the WAL after every checkpoint. Python has
    `uuid.uuid7` from 3.14.
    """
    millis = int(now.timestamp() * 1000) & (1 << 48) - 1
    random = int.from_bytes(os.urandom(10))
    rand_a, rand_b = random >> 68, random & (1 << 62) - 1
    return str(uuid.UUID(int=millis << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b))


def place(command: CreateOrder, now: datetime, order_id: str | None = None) -> Order:
    validate(command)
    return Order(
        order_id=order_id or time_ordered_id(now),
        user_id=command.user_id,
        lines=command.lines,
        total_cents=command.total_cents,
        created_at=now,
        idempotency_key=command.idempotency_key,
        currency=command.currency or DEFAULT_CURRENCY,
        contact_email=None if command.contact_email is None else normalized_email(command.contact_email),
    )


def user_violations(user_id: str) -> list[Violation]:
    if not user_id:
        return [Violation("user_id", "is required")]
    if len(user_id) > MAX_USER_ID_LENGTH or not USER_ID.fullmatch(user_id):
        return [
            Violation("user_id", f"must be 1..{MAX_USER_ID_LENGTH} characters of letters, digits and _.@-")
        ]
    return []


def _line_violations(lines: tuple[OrderLine, ...]) -> list[Violation]:
    if not lines:
        return [Violation("items", "at least one item is required")]
    if len(lines) > MAX_ITEMS:
        return [Violation("items", f"at most {MAX_ITEMS} items per order")]
    violations = []
    for i, line in enumerate(lines):
        if not SKU.fullmatch(line.sku):
            violations.append(Violation(f"items[{i}].sku", "must be 1..32 of A-Z, 0-9 and -"))
        if not 1 <= line.quantity <= MAX_QUANTITY:
            violations.append(Violation(f"items[{i}].quantity", f"must be 1..{MAX_QUANTITY}"))
        if not 0 <= line.unit_price_cents <= MAX_UNIT_PRICE_CENTS:
            violations.append(Violation(f"items[{i}].unit_price_cents", f"must be 0..{MAX_UNIT_PRICE_CENTS}"))
    return violations

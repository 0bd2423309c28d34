"""Orders as the read models show them, and the rules of asking for them.

Pure: the page token is opaque to clients but is only the position of the last order of
the previous page, so pages stay stable while new orders arrive.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from order_svc.domain.model import InvalidOrder, OrderLine, Violation, user_violations

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class Status(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class OrderView:
    order_id: str
    user_id: str
    lines: tuple[OrderLine, ...]
    total_cents: int
    currency: str
    status: Status
    reason: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PagePosition:
    """Where a page ended: orders are listed newest first, ties broken by order id."""

    created_at: datetime
    order_id: str


@dataclass(frozen=True)
class OrderPage:
    orders: tuple[OrderView, ...]
    next_page: PagePosition | None


@dataclass(frozen=True)
class ListOrders:
    user_id: str
    page_size: int = 0
    page_token: str = ""


class OrderNotFound(Exception):
    pass


def check_order_id(order_id: str) -> None:
    try:
        uuid.UUID(order_id)
    except ValueError:
        raise InvalidOrder([Violation("order_id", "must be a UUID")]) from None


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidOrder([Violation("page_size", f"must be 0 (default {DEFAULT_PAGE_SIZE}) or more")])
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def check_user_id(user_id: str) -> None:
    violations = user_violations(user_id)
    if violations:
        raise InvalidOrder(violations)


def page_token(position: PagePosition | None) -> str:
    if position is None:
        return ""
    raw = f"{position.created_at.isoformat()}|{position.order_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def page_position(token: str) -> PagePosition | None:
    if not token:
        return None
    try:
        created_at, order_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        when = datetime.fromisoformat(created_at)
        if when.tzinfo is None:
            raise ValueError("a position has a time zone")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidOrder([Violation("page_token", "is not a token from a previous page")]) from None
    return PagePosition(when, order_id)

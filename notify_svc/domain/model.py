"""Order outcomes and the notices they become. Pure: no Kafka, SMTP or database here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OutcomeKind = Literal["confirmed", "out_of_stock"]


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderConfirmed:
    order_id: str
    user_id: str
    lines: tuple[Line, ...]
    total_cents: int
    currency: str = "USD"
    # The address the order gave for its notifications; empty for the user directory's.
    contact_email: str = ""


@dataclass(frozen=True)
class OutOfStock:
    order_id: str
    user_id: str
    sku: str
    quantity_requested: int
    quantity_available: int
    contact_email: str = ""


Outcome = OrderConfirmed | OutOfStock


@dataclass(frozen=True)
class Notification:
    """What one user is told about one order's outcome, whatever the sink."""

    order_id: str
    user_id: str
    kind: OutcomeKind
    recipient: str
    subject: str
    body: str

    @property
    def message_id(self) -> str:
        """Stable per order outcome, so a resend is recognisably the same message."""
        return f"<{self.kind}.{self.order_id}@orderflow>"


def recipient_for(outcome: Outcome, domain: str) -> str:
    """The order's contact address if it gave one; else the user directory: an id that is
    an address is used as is, else user@domain."""
    if outcome.contact_email:
        return outcome.contact_email
    user_id = outcome.user_id
    return user_id if "@" in user_id else f"{user_id}@{domain}"


def money(cents: int, currency: str) -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency}"


def notification_for(outcome: Outcome, recipient_domain: str) -> Notification:
    recipient = recipient_for(outcome, recipient_domain)
    if isinstance(outcome, OrderConfirmed):
        lines = "\n".join(f"  {line.quantity} x {line.sku}" for line in outcome.lines)
        total = money(outcome.total_cents, outcome.currency)
        body = f"Your order {outcome.order_id} is confirmed.\n\n{lines}\n\nTotal: {total}\n"
        return Notification(
            outcome.order_id,
            outcome.user_id,
            "confirmed",
            recipient,
            f"Order confirmed: {outcome.order_id}",
            body,
        )
    body = (
        f"Sorry: your order {outcome.order_id} could not be fulfilled. {outcome.sku} is out of stock "
        f"(you asked for {outcome.quantity_requested}, {outcome.quantity_available} available).\n"
        "Nothing was charged or held.\n"
    )
    return Notification(
        outcome.order_id,
        outcome.user_id,
        "out_of_stock",
        recipient,
        f"Out of stock: {outcome.order_id}",
        body,
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff per notification and sink; parked after max_attempts failures."""

    max_attempts: int = 8
    base_seconds: float = 0.5
    cap_seconds: float = 30.0

    def delay_after(self, attempts: int) -> float:
        return float(min(self.base_seconds * 2 ** (attempts - 1), self.cap_seconds))

    def gives_up_after(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

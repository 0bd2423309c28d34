"""SetStock and GetStock as the domain sees them: validation naming each offending field,
and the ways a valid request can still be refused. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

SKU = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
MAX_ON_HAND = 100_000_000


def sku_violations(sku: str) -> list[tuple[str, str]]:
    if not sku:
        return [("sku", "is required")]
    if not SKU.fullmatch(sku):
        return [("sku", "must be 1-32 of A-Z, 0-9 and '-', starting with a letter or digit")]
    return []


def set_stock_violations(sku: str, quantity: int | None) -> list[tuple[str, str]]:
    """`quantity` is None when the request left it out: never read as zero, which would
    empty the SKU's stock."""
    violations = sku_violations(sku)
    if quantity is None:
        violations.append(("quantity", "is required"))
    elif not 0 <= quantity <= MAX_ON_HAND:
        violations.append(("quantity", f"must be between 0 and {MAX_ON_HAND}"))
    return violations


@dataclass(frozen=True)
class SetStock:
    sku: str
    quantity: int | None  # None: left out of the request


class InvalidStockRequest(Exception):
    def __init__(self, violations: list[tuple[str, str]]) -> None:
        super().__init__(violations)
        self.violations = violations


class NotApplied(Exception):
    """The command is recorded, but its owner was not seen applying it in time."""


class BelowReserved(Exception):
    """The owner kept the stock: the quantity asked for is below what is reserved."""

    def __init__(self, quantity: int, reserved: int) -> None:
        super().__init__(f"quantity: {quantity} is below the {reserved} units reserved")


class NoStock(Exception):
    """No stock was ever set for the SKU."""

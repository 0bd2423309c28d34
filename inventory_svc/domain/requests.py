"""Validation of stock requests, naming each offending field. Pure."""

from __future__ import annotations

import re

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

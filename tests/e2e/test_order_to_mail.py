"""An order placed through Envoy ends as exactly one mail in var/mail/: the demo of the stack."""

from __future__ import annotations

from email import message_from_bytes

import httpx

from devstack.spec import VAR
from mail_catcher.mailbox import RECEIPTS, file_name
from tests.integration.helpers import eventually

ENVOY = "http://127.0.0.1:8080"
MAIL = VAR / "mail"


def place(user: str, sku: str, quantity: int) -> str:
    body = {
        "user_id": user,
        "items": [{"sku": sku, "quantity": quantity, "unit_price_cents": 250}],
        "total_cents": 250 * quantity,
    }
    created = httpx.post(f"{ENVOY}/v1/orders", json=body, timeout=15)
    assert created.status_code == 200, created.text
    order_id: str = created.json()["order_id"]
    return order_id


def test_each_order_through_envoy_gets_exactly_one_mail(unique: str) -> None:
    sku = f"M{unique.upper()}"
    assert httpx.put(f"{ENVOY}/v1/inventory/{sku}", json={"quantity": 2}, timeout=30).status_code == 200
    confirmed = place(f"ann-{unique}", sku, 2)
    short = place(f"ben-{unique}", sku, 1)
    mails = {
        f"<confirmed.{confirmed}@orderflow>": "Order confirmed",
        f"<out_of_stock.{short}@orderflow>": "Out of stock",
    }
    eventually(lambda: all((MAIL / file_name(m)).exists() for m in mails), 120)
    for message_id, subject in mails.items():
        mail = message_from_bytes((MAIL / file_name(message_id)).read_bytes())
        assert mail["Subject"].startswith(subject)
    assert (
        sku
        in message_from_bytes(
            (MAIL / file_name(f"<out_of_stock.{short}@orderflow>")).read_bytes()
        ).get_payload()
    )
    receipts = (MAIL / RECEIPTS).read_text().splitlines()
    assert [receipts.count(m) for m in mails] == [1, 1]

"""The email sink's message, written out directly, against the email package's."""

from __future__ import annotations

import dataclasses
from email import message_from_bytes

from aiosmtplib.email import flatten_message

from notify_svc.adapters.sinks import email, plain_email
from notify_svc.domain.model import Line, OrderConfirmed, OutOfStock, notification_for

SENDER = "orderflow <orders@orderflow.test>"
ORDER = "0f0e5e4c-1111-2222-3333-444455556666"


def test_a_confirmation_is_byte_for_byte_what_the_email_package_flattens() -> None:
    lines = (Line("SKU-1", 2), Line("B-2", 1))
    notice = notification_for(OrderConfirmed(ORDER, "alice", lines, 500), "u.test")
    assert plain_email(notice, SENDER) == flatten_message(email(notice, SENDER), utf8=False, cte_type="8bit")


def test_a_line_longer_than_78_stays_one_7bit_line_with_the_same_headers_and_text() -> None:
    notice = notification_for(OutOfStock(ORDER, "bob@x.test", "SKU-7", 3, 1), "u.test")
    plain = plain_email(notice, SENDER)
    assert plain is not None
    ours, theirs = message_from_bytes(plain), email(notice, SENDER)
    assert [(k, v) for k, v in ours.items() if k != "Content-Transfer-Encoding"] == [
        (k, v) for k, v in theirs.items() if k != "Content-Transfer-Encoding"
    ]
    assert ours["Content-Transfer-Encoding"] == "7bit"
    assert str(ours.get_payload()).replace("\r\n", "\n") == notice.body


def test_anything_but_printable_ascii_goes_through_the_email_package() -> None:
    notice = notification_for(OrderConfirmed(ORDER, "alice", (Line("SKU-1", 2),), 500), "u.test")
    assert plain_email(dataclasses.replace(notice, recipient="zoë@exämple.test"), SENDER) is None
    assert plain_email(dataclasses.replace(notice, subject="x\r\nBcc: eve@x.test"), SENDER) is None
    assert plain_email(dataclasses.replace(notice, body="caf\u00e9\n"), SENDER) is None

"""The catcher's shortcuts answer as what they replace: the email package's header parser
for the Message-ID, aiosmtpd's own parse of an address."""

from __future__ import annotations

from email.parser import BytesHeaderParser

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given
from hypothesis import strategies as st

from mail_catcher.mailbox import CatcherSMTP, message_id

MAILS = [
    b"From: a@x.test\r\nMessage-ID: <confirmed.o-1@orderflow>\r\nSubject: s\r\n\r\nbody\r\n",
    b"message-id:<lower@x>\r\n\r\nbody",
    b"Message-Id:   <spaced@x>   \r\n\r\n",
    b"Subject: s\r\nMessage-ID: <folded\r\n @x>\r\nTo: b@x.test\r\n\r\n",
    b"Subject: s\nMessage-ID: <lf-only@x>\n\nbody\n",
    b"Message-ID: <first@x>\r\nMessage-ID: <second@x>\r\n\r\n",
    b"Subject: no id\r\n\r\nMessage-ID: <in-the-body@x>\r\n",
    b"X-Message-ID: <not-this@x>\r\n\r\n",
    b"Message-ID:\r\n\r\n",
    b"Message-ID: <no-body@x>",
    b"",
]


@pytest.mark.parametrize("mail", MAILS)
def test_the_message_id_is_the_header_parsers(mail: bytes) -> None:
    assert message_id(mail) == BytesHeaderParser().parsebytes(mail, headersonly=True).get("Message-ID")


HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)


@given(
    before=st.lists(st.sampled_from(["Subject", "To", "X-Message-ID", "References"]), max_size=3),
    name=st.sampled_from(["Message-ID", "message-id", "MESSAGE-ID", "Message-Id"]),
    value=HEADER_TEXT,
    fold=st.one_of(st.none(), HEADER_TEXT),
    newline=st.sampled_from([b"\r\n", b"\n"]),
)
def test_the_message_id_is_the_header_parsers_for_any_header_block(
    before: list[str], name: str, value: str, fold: str | None, newline: bytes
) -> None:
    lines = [f"{field}: x".encode() for field in before]
    lines.append(f"{name}: {value}".encode())
    if fold is not None:
        lines.append(f" {fold}".encode())
    mail = newline.join([*lines, b"", b"Message-ID: <in-the-body@x>", b""])
    assert message_id(mail) == BytesHeaderParser().parsebytes(mail, headersonly=True).get("Message-ID")


class Handler:
    pass


@pytest.mark.parametrize(
    "arg",
    ["<orders@orderflow.test>", "<alice@users.test> SIZE=100", "bob@users.test", "<>", "<a@b", "", "<x@y>"],
)
def test_an_address_is_parsed_as_aiosmtpd_parses_it_and_again_from_the_store(arg: str) -> None:
    catcher, plain = CatcherSMTP(Handler()), SMTP(Handler())
    expected = plain._getaddr(arg)
    assert catcher._getaddr(arg) == expected
    assert catcher._getaddr(arg) == expected

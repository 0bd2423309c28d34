"""The catcher's shortcuts answer as what they replace: the email package's header parser
for the Message-ID, aiosmtpd's own parse of an address. Old mail is pruned with its
receipts."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given
from hypothesis import strategies as st

import mail_catcher.__main__ as catcher
from mail_catcher.mailbox import RECEIPTS, CatcherSMTP, Mailbox, file_name, message_id

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


@pytest.fixture
def mail_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop on a thread of its own, as the controller keeps mail on."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def mail(mail_id: str) -> bytes:
    return f"Message-ID: {mail_id}\r\nSubject: s\r\n\r\nbody\r\n".encode()


def test_mails_older_than_kept_go_with_their_receipts_and_newer_ones_stay(
    tmp_path: Path, mail_thread: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catcher, "REMOVE_CHUNK", 2)
    mailbox = Mailbox(tmp_path)
    now = time.time()
    old = [f"<old.{i}@orderflow>" for i in range(5)]
    for old_id in old:
        os.utime(mailbox.keep(mail(old_id)), (now - 7200, now - 7200))
    mailbox.keep(mail("<new@orderflow>"))
    mailbox.keep(mail(old[0]))  # resent: its file is new again

    removed = catcher.prune_once(mailbox, mail_thread, now - 3600, lambda: False)
    mailbox.keep(mail("<after@orderflow>"))
    mailbox.close()

    assert removed == 4
    assert sorted(p.name for p in tmp_path.glob("*.eml")) == sorted(
        file_name(m) for m in [old[0], "<new@orderflow>", "<after@orderflow>"]
    )
    assert (tmp_path / RECEIPTS).read_text().splitlines() == [
        old[0],
        "<new@orderflow>",
        old[0],
        "<after@orderflow>",
    ]


def test_pruning_stops_between_chunks_when_asked(
    tmp_path: Path, mail_thread: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catcher, "REMOVE_CHUNK", 2)
    mailbox = Mailbox(tmp_path)
    for i in range(5):
        os.utime(mailbox.keep(mail(f"<old.{i}@orderflow>")), (1.0, 1.0))
    chunks = iter([False, True])

    assert catcher.prune_once(mailbox, mail_thread, time.time(), lambda: next(chunks)) == 2
    mailbox.close()
    assert len(list(tmp_path.glob("*.eml"))) == 3
    assert len((tmp_path / RECEIPTS).read_text().splitlines()) == 3

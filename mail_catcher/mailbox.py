"""A folder as a mailbox: one .eml file per Message-ID, and a log of every receipt; mails
older than the catcher keeps them are removed with their receipts."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
RECEIPTS = "received.log"
# The header block ends at the first empty line.
HEADERS_END = re.compile(rb"\r?\n\r?\n")
# The first Message-ID field, any case, with its folded continuation lines.
MESSAGE_ID = re.compile(rb"^message-id:[ \t]*((?:[^\r\n]|\r?\n[ \t])*)", re.IGNORECASE | re.MULTILINE)
# Parsed addresses kept; the store starts over when full.
MAX_ADDRESSES = 65_536


def message_id(content: bytes) -> str | None:
    """The Message-ID field's value as the email package's compat32 policy gives it (folds
    kept), found by a pattern over the header block: parsing the headers cost the catcher
    a tenth of its CPU per mail."""
    end = HEADERS_END.search(content)
    found = MESSAGE_ID.search(content, 0, len(content) if end is None else end.start())
    return None if found is None else found.group(1).decode("ascii", "surrogateescape")


def file_name(message_id: str | None) -> str:
    """A file name from the Message-ID: a resent message replaces its first copy."""
    stem = UNSAFE.sub("_", (message_id or "").strip("<> ")) or f"no-id-{uuid.uuid4().hex}"
    return f"{stem}.eml"


def write_whole(path: Path, content: bytes) -> None:
    """Writes `path` by way of a partial file: a reader never sees half of it."""
    partial = path.with_suffix(".partial")
    partial.write_bytes(content)
    os.replace(partial, path)


class Mailbox:
    """The aiosmtpd handler."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        # Open for the mailbox's life and written through a line at a time: opening it for
        # each mail cost a tenth of the catcher's CPU per mail.
        self._receipts = (folder / RECEIPTS).open("a", buffering=1)

    def close(self) -> None:
        self._receipts.close()

    def keep(self, content: bytes) -> Path:
        # The headers alone: the body is the sender's business, not the file name's.
        mail_id = message_id(content)
        path = self.folder / file_name(mail_id)
        write_whole(path, content)
        self._receipts.write(f"{mail_id or '-'}\n")
        return path

    def expired(self, kept_since: float) -> list[str]:
        """The names of the mails last written before `kept_since` (seconds since the epoch)."""
        with os.scandir(self.folder) as entries:
            return [
                entry.name
                for entry in entries
                if entry.name.endswith(".eml") and entry.stat().st_mtime < kept_since
            ]

    def remove(self, names: Iterable[str], kept_since: float) -> set[str]:
        """Removes those of the named mails still older than `kept_since`; returns the names
        removed. Runs on the thread that keeps mail, so a mail resent since it was found
        expired is newer and stays."""
        removed = set()
        for name in names:
            path = self.folder / name
            try:
                if path.stat().st_mtime < kept_since:
                    path.unlink()
                    removed.add(name)
            except FileNotFoundError:
                continue
        return removed

    def forget_receipts(self, removed: set[str]) -> None:
        """Rewrites the receipt log without the receipts of removed mails. Runs on the thread
        that keeps mail, which appends to the log."""
        self._receipts.close()
        log = self.folder / RECEIPTS
        with log.open() as receipts:
            kept = [line for line in receipts if file_name(line.rstrip("\n")) not in removed]
        write_whole(log, "".join(kept).encode())
        self._receipts = log.open("a", buffering=1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.keep(content)
        return "250 Message accepted for delivery"


_addresses: dict[tuple[str, int], tuple[str | None, str | None]] = {}


class CatcherSMTP(SMTP):
    """aiosmtpd parses the address of every MAIL and RCPT with the email package's header
    parser, and defines a class on each call: a fifth of the catcher's CPU per mail. The
    same few addresses come again and again (the sender on every mail), so each answer is
    kept. All sessions run on the controller's one event loop thread."""

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        key = (arg, self.local_part_limit)
        parsed = _addresses.get(key)
        if parsed is None:
            parsed = super()._getaddr(arg)
            if len(_addresses) >= MAX_ADDRESSES:
                _addresses.clear()
            _addresses[key] = parsed
        return parsed


class CatcherController(Controller):
    """aiosmtpd's threaded controller, serving with `CatcherSMTP`."""

    def factory(self) -> SMTP:
        return CatcherSMTP(self.handler, **self.SMTP_kwargs)

"""A folder as a mailbox: one .eml file per Message-ID, and a log of every receipt."""

from __future__ import annotations

import os
import re
import uuid
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
RECEIPTS = "received.log"


def file_name(message_id: str | None) -> str:
    """A file name from the Message-ID: a resent message replaces its first copy."""
    stem = UNSAFE.sub("_", (message_id or "").strip("<> ")) or f"no-id-{uuid.uuid4().hex}"
    return f"{stem}.eml"


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
        message_id = BytesHeaderParser().parsebytes(content, headersonly=True).get("Message-ID")
        path = self.folder / file_name(message_id)
        partial = path.with_suffix(".partial")
        partial.write_bytes(content)
        # Whole files only: a reader never sees half a mail.
        os.replace(partial, path)
        self._receipts.write(f"{message_id or '-'}\n")
        return path

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.keep(content)
        return "250 Message accepted for delivery"

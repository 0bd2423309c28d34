"""The sinks: the console (the service's log) and email over real SMTP (aiosmtplib)."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib

from notify_svc.domain.model import Notification
from notify_svc.domain.ports import NotificationSink, SinkFailed
from notify_svc.settings import SmtpSettings
from orderflow_platform.logs import get_logger

log = get_logger(__name__)
# RFC 5322's limit on a line, without its CRLF: a longer one needs an encoding.
MAX_LINE = 998


class ConsoleSink(NotificationSink):
    name = "console"
    # A line is written at once and its settlement is a round trip: several lines share
    # one, or the console trails the outcomes; a crash can log those lines twice.
    in_flight = 32

    async def send(self, notification: Notification) -> None:
        log.info(
            "notification",
            to=notification.recipient,
            subject=notification.subject,
            message_id=notification.message_id,
            body=notification.body,
        )


def email(notification: Notification, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = notification.recipient
    message["Subject"] = notification.subject
    message["Message-ID"] = notification.message_id
    message["X-Orderflow-Order-Id"] = notification.order_id
    message.set_content(notification.body)
    return message


def plain_email(notification: Notification, sender: str) -> bytes | None:
    """The message `email()` builds, written out directly as 7bit text: building and
    flattening an EmailMessage costs more CPU than the rest of a notice's way through
    the service.

    None unless every field is printable ASCII and the body plain ASCII lines: anything
    else, an internationalized address above all, goes through `email()` and SMTPUTF8.
    """
    fields = (sender, notification.recipient, notification.subject, notification.order_id)
    body = notification.body
    if not (all(f.isascii() and f.isprintable() for f in fields) and body.isascii()):
        return None
    lines = body.splitlines()
    if not all(line.isprintable() and len(line) <= MAX_LINE for line in lines):
        return None
    headers = [
        f"From: {sender}",
        f"To: {notification.recipient}",
        f"Subject: {notification.subject}",
        f"Message-ID: {notification.message_id}",
        f"X-Orderflow-Order-Id: {notification.order_id}",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 7bit",
        "MIME-Version: 1.0",
    ]
    return "\r\n".join([*headers, "", *lines, ""]).encode()


class EmailSink(NotificationSink):
    """A small pool of SMTP connections, each kept open across sends and reopened after a
    failure: one SMTP conversation waits on its server's replies, several overlap."""

    name = "email"

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self._settings, self._sender = settings, sender
        self._envelope_sender = parseaddr(sender)[1]
        self.in_flight = settings.connections
        # None: a connection not opened yet, or dropped after a failure.
        self._idle: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        for _ in range(settings.connections):
            self._idle.put_nowait(None)

    async def send(self, notification: Notification) -> None:
        client = await self._idle.get()
        healthy = None
        try:
            if client is None or not client.is_connected:
                client = await self._connect()
            plain = plain_email(notification, self._sender)
            if plain is None:
                await client.send_message(email(notification, self._sender))
            else:
                await client.sendmail(self._envelope_sender, [notification.recipient], plain)
            healthy = client
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise SinkFailed(f"smtp {self._settings.host}:{self._settings.port}: {error}") from error
        finally:
            if healthy is None and client is not None:
                await _quit(client)
            self._idle.put_nowait(healthy)

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            if client is not None:
                await _quit(client)

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self._settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.use_tls,
            start_tls=s.start_tls,
            username=s.username,
            password=s.password,
            timeout=s.timeout_seconds,
        )
        await client.connect()
        return client


async def _quit(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()

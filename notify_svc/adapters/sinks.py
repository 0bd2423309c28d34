"""The sinks: the console (the service's log) and email over real SMTP (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from notify_svc.domain.model import Notification
from notify_svc.domain.ports import NotificationSink, SinkFailed
from notify_svc.settings import SmtpSettings
from orderflow_platform.logs import get_logger

log = get_logger(__name__)


class ConsoleSink(NotificationSink):
    name = "console"

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


class EmailSink(NotificationSink):
    """Keeps one SMTP connection open across sends and reopens it after a failure."""

    name = "email"

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self._settings, self._sender = settings, sender
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, notification: Notification) -> None:
        try:
            client = await self._connected()
            await client.send_message(email(notification, self._sender))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            await self.close()
            raise SinkFailed(f"smtp {self._settings.host}:{self._settings.port}: {error}") from error

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
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
            self._client = client
        return self._client

"""The notification service's own settings: the `notify` section of the profile file."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from orderflow_platform.settings import Settings


class SmtpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 2525
    # Implicit TLS (SMTPS, usually 465) or STARTTLS upgrade (usually 587); neither on loopback.
    use_tls: bool = False
    start_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 10.0
    # Conversations open at once: each send waits on four of the server's replies, so
    # several overlap to keep up with the outcomes (with 4, mail trailed them by 25-34 s,
    # p99, at 80 orders/s on a busy two-core machine; with 16, by 3 s).
    connections: int = Field(default=16, ge=1)


class NotifySettings(BaseModel):
    sinks: list[Literal["console", "email"]] = ["console"]
    sender: str = "orderflow <orders@orderflow.test>"
    # The user directory: user ids that are not addresses get this domain.
    recipient_domain: str = "users.orderflow.test"
    max_attempts: int = 8
    retry_base_seconds: float = 0.5
    retry_cap_seconds: float = 30.0
    smtp: SmtpSettings = SmtpSettings()


class NotifyServiceSettings(Settings):
    notify: NotifySettings = NotifySettings()

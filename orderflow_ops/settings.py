"""What only operator tooling reaches, beside the core settings: no service talks to Connect."""

from __future__ import annotations

from pydantic import BaseModel

from orderflow_platform.settings import Settings


class ConnectSettings(BaseModel):
    # The Kafka Connect worker's REST API (the audit sink's).
    url: str = "http://127.0.0.1:8083"


class OpsSettings(Settings):
    connect: ConnectSettings = ConnectSettings()

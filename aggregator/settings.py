"""The aggregator's own settings: the `aggregator` section of the profile file."""

from __future__ import annotations

from pydantic import BaseModel

from orderflow_platform.settings import Settings


class WindowSettings(BaseModel):
    # How long after a window's minute ends its final value waits for orders still on the way.
    allowed_lateness_seconds: float = 10.0
    # A filling window is published at most this often.
    publish_interval_seconds: float = 1.0


class AggregatorServiceSettings(Settings):
    aggregator: WindowSettings = WindowSettings()

"""metrics.order.rate as a map of windows, followed on the topic, for GetOrderRate.

Every aggregator replica reads all partitions (read_committed, no group): a query may ask
for any window, and the topic holds one small record per minute once compacted.
"""

from __future__ import annotations

from datetime import datetime

from confluent_kafka import Message
from orderflow.metrics.v1.events_pb2 import OrderRateWindow

from aggregator.adapters.events import RATE
from orderflow_platform.kafka.serde import ProtobufCodec, to_datetime
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.stream.following import Follower, decoded, reader


class RateView:
    def __init__(self, settings: KafkaSettings, codec: ProtobufCodec[OrderRateWindow]) -> None:
        self._codec = codec
        self._windows: dict[datetime, OrderRateWindow] = {}
        self._follower = Follower(
            reader(settings, "aggregator-rate-view"), [RATE], self._keep, name="rate-view"
        )

    def start(self, timeout: float = 60.0) -> RateView:
        """Returns once the topic has been read up to where it ended when this started."""
        self._follower.start()
        if not self._follower.caught_up.wait(timeout):
            raise RuntimeError(f"could not read {RATE} within {timeout}s")
        return self

    def stop(self) -> None:
        self._follower.stop()

    def since(self, start: datetime) -> list[OrderRateWindow]:
        """The windows starting at or after `start`, oldest first."""
        return [self._windows[s] for s in sorted(self._windows) if s >= start]

    def _keep(self, message: Message) -> None:
        window = decoded(self._codec, message, self._follower.stopping)
        if window is not None:
            self._windows[to_datetime(window.window_start)] = window

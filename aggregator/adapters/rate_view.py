"""metrics.order.rate as a map of windows, tailed from the topic, for GetOrderRate.

Every aggregator replica reads all partitions (read_committed, no group): a query may ask
for any window, and the topic holds one small record per minute once compacted.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition
from confluent_kafka.serialization import SerializationError
from orderflow.metrics.v1.events_pb2 import OrderRateWindow

from aggregator.adapters.events import RATE
from orderflow_platform.backoff import Backoff
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec, RegistryUnavailable
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings

log = get_logger(__name__)


class RateView:
    def __init__(self, settings: KafkaSettings, codec: ProtobufCodec[OrderRateWindow]) -> None:
        self._settings, self._codec = settings, codec
        self._windows: dict[datetime, OrderRateWindow] = {}
        self._caught_up = threading.Event()
        self._stopping = threading.Event()
        self._tail = threading.Thread(target=self._follow, name="rate-view", daemon=True)

    def start(self, timeout: float = 60.0) -> RateView:
        """Returns once the topic has been read up to where it ended when this started."""
        self._tail.start()
        if not self._caught_up.wait(timeout):
            raise RuntimeError(f"could not read {RATE} within {timeout}s")
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._tail.join(5)

    def since(self, start: datetime) -> list[OrderRateWindow]:
        """The windows starting at or after `start`, oldest first."""
        return [self._windows[s] for s in sorted(self._windows) if s >= start]

    def _follow(self) -> None:
        # End-of-partition events say when the read has reached where the topic ended.
        consumer = clients.consumer(
            self._settings, group_id="aggregator-rate-view", **{"enable.partition.eof": True}
        )
        try:
            partitions = consumer.list_topics(RATE, timeout=10).topics[RATE].partitions
            consumer.assign([TopicPartition(RATE, p, OFFSET_BEGINNING) for p in partitions])
            behind = set(partitions)
            while not self._stopping.is_set():
                message = consumer.poll(0.1)
                if message is None:
                    continue
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        behind.discard(int(message.partition() or 0))
                        if not behind:
                            self._caught_up.set()
                    continue
                window = self._decoded(message.value() or b"", int(message.offset() or 0))
                if window is not None:
                    self._windows[window.window_start.ToDatetime(UTC)] = window
        finally:
            consumer.close()

    def _decoded(self, value: bytes, offset: int) -> OrderRateWindow | None:
        backoff = Backoff()
        while not self._stopping.is_set():
            try:
                return self._codec.decode(RATE, value)
            except SerializationError as error:
                log.warning("undecodable rate record", offset=offset, error=str(error))
                return None
            except RegistryUnavailable as error:
                log.warning("schema registry unavailable", offset=offset, error=str(error))
                backoff.wait(self._stopping)
        return None

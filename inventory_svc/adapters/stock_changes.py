"""Stock changes as they are applied, tailed from the inventory.stock changelog.

SetStock records a command and must answer with its outcome, which only the SKU's owner
decides. Every replica follows the changelog from the moment it starts and remembers the
latest changes by their cause (a request id), so the one that took a request can tell
when, and how, the owner applied it, however many other changes follow on that SKU.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict

from confluent_kafka import OFFSET_END, TopicPartition
from confluent_kafka.serialization import SerializationError
from orderflow.inventory.v1.events_pb2 import StockLevel

from inventory_svc.adapters.events import STOCK
from inventory_svc.domain.stock import Stock
from orderflow_platform.backoff import Backoff
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec, RegistryUnavailable
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings

log = get_logger(__name__)
REMEMBERED = 100_000


class StockChanges:
    def __init__(self, settings: KafkaSettings, codec: ProtobufCodec[StockLevel]) -> None:
        self._settings, self._codec = settings, codec
        self._by_cause: OrderedDict[str, Stock] = OrderedDict()
        self._following = threading.Event()
        self._stopping = threading.Event()
        self._tail = threading.Thread(target=self._follow, name="stock-changes", daemon=True)

    def start(self, timeout: float = 30.0) -> StockChanges:
        """Returns once the changelog is followed from its current end."""
        self._tail.start()
        if not self._following.wait(timeout):
            raise RuntimeError(f"could not follow {STOCK} within {timeout}s")
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._tail.join(5)

    async def applied(self, cause_id: str, timeout: float) -> Stock | None:
        """The SKU's state right after the change caused by cause_id, or None at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (stock := self._by_cause.get(cause_id)) is not None:
                return stock
            await asyncio.sleep(0.005)
        return None

    def _follow(self) -> None:
        consumer = clients.consumer(self._settings, group_id="inventory-stock-changes")
        try:
            partitions = consumer.list_topics(STOCK, timeout=10).topics[STOCK].partitions
            ends = [TopicPartition(STOCK, p, OFFSET_END) for p in partitions]
            # Pin the end now, so nothing recorded after start() is skipped.
            consumer.assign(
                [TopicPartition(STOCK, tp.partition, consumer.get_watermark_offsets(tp)[1]) for tp in ends]
            )
            self._following.set()
            while not self._stopping.is_set():
                message = consumer.poll(0.1)
                value = None if message is None or message.error() is not None else message.value()
                if message is None or value is None:
                    continue
                level = self._decoded(value, int(message.offset() or 0))
                if level is None:
                    continue
                self._by_cause[level.cause_id] = Stock(level.sku, level.on_hand, level.reserved)
                if len(self._by_cause) > REMEMBERED:
                    self._by_cause.popitem(last=False)
        finally:
            consumer.close()

    def _decoded(self, value: bytes, offset: int) -> StockLevel | None:
        """The record's StockLevel, None for one that never decodes; waits out a registry outage."""
        backoff = Backoff()
        while not self._stopping.is_set():
            try:
                return self._codec.decode(STOCK, value)
            except SerializationError as error:
                log.warning("undecodable stock record", offset=offset, error=str(error))
                return None
            except RegistryUnavailable as error:
                log.warning("schema registry unavailable", offset=offset, error=str(error))
                backoff.wait(self._stopping)
        return None

"""Every SKU's latest state, tailed from the compacted inventory.stock changelog.

Each replica keeps this view of all partitions (not only the ones it owns) to answer
GetStock and to see when a SetStock it recorded has been applied by the SKU's owner.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, TopicPartition
from confluent_kafka.serialization import SerializationError
from orderflow.inventory.v1.events_pb2 import StockLevel

from inventory_svc.adapters.events import STOCK
from inventory_svc.domain.stock import Stock
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import KafkaSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class StockEntry:
    stock: Stock
    cause_id: str


class StockView:
    def __init__(self, settings: KafkaSettings, codec: ProtobufCodec[StockLevel]) -> None:
        self._settings, self._codec = settings, codec
        self._entries: dict[str, StockEntry] = {}
        self._stopping = threading.Event()
        self._tail = threading.Thread(target=self._follow, name="stock-view", daemon=True)

    def start(self) -> StockView:
        self._tail.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._tail.join(5)

    def get(self, sku: str) -> StockEntry | None:
        return self._entries.get(sku)

    async def applied(self, sku: str, cause_id: str, timeout: float) -> StockEntry | None:
        """The SKU's state once the change caused by cause_id shows, or None at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entry = self._entries.get(sku)
            if entry is not None and entry.cause_id == cause_id:
                return entry
            await asyncio.sleep(0.005)
        return None

    def _follow(self) -> None:
        consumer = clients.consumer(self._settings, group_id="inventory-stock-view")
        try:
            partitions = consumer.list_topics(STOCK, timeout=10).topics[STOCK].partitions
            consumer.assign([TopicPartition(STOCK, p, OFFSET_BEGINNING) for p in partitions])
            while not self._stopping.is_set():
                message = consumer.poll(0.1)
                value = None if message is None or message.error() is not None else message.value()
                if message is None or value is None:
                    continue
                try:
                    level = self._codec.decode(STOCK, value)
                except SerializationError as error:
                    log.warning("undecodable stock record", offset=message.offset(), error=str(error))
                    continue
                self._entries[level.sku] = StockEntry(
                    Stock(level.sku, level.on_hand, level.reserved), level.cause_id
                )
        finally:
            consumer.close()

"""Stock changes as they are applied, followed on the inventory.stock changelog.

SetStock records a command and must answer with its outcome, which only the SKU's owner
decides. Every replica follows the changelog from the moment it starts and remembers the
latest changes by their cause (a request id), so the one that took a request can tell
when, and how, the owner applied it, however many other changes follow on that SKU.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from confluent_kafka import Message
from orderflow.inventory.v1.events_pb2 import StockLevel

from inventory_svc.adapters.events import STOCK
from inventory_svc.domain.stock import Stock
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import KafkaSettings
from orderflow_platform.stream.following import Follower, decoded, reader
from orderflow_platform.stream.loop import Batching

REMEMBERED = 100_000
# SetStock's answer waits on the change: a consume of one record returns as soon as it has
# it, where one of more waits out the linger for the rest.
BATCHING = Batching(max_records=1, linger_seconds=0.1)


class StockChanges:
    def __init__(self, settings: KafkaSettings, codec: ProtobufCodec[StockLevel]) -> None:
        self._codec = codec
        self._by_cause: OrderedDict[str, Stock] = OrderedDict()
        self._follower = Follower(
            reader(settings, "inventory-stock-changes"),
            [STOCK],
            self._remember,
            name="stock-changes",
            start="end",
            batching=BATCHING,
        )

    def start(self, timeout: float = 30.0) -> StockChanges:
        """Returns once the changelog is followed from its current end."""
        self._follower.start()
        if not self._follower.started.wait(timeout):
            raise RuntimeError(f"could not follow {STOCK} within {timeout}s")
        return self

    def stop(self) -> None:
        self._follower.stop()

    async def applied(self, cause_id: str, timeout: float) -> Stock | None:
        """The SKU's state right after the change caused by cause_id, or None at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (stock := self._by_cause.get(cause_id)) is not None:
                return stock
            await asyncio.sleep(0.005)
        return None

    def _remember(self, message: Message) -> None:
        level = decoded(self._codec, message, self._follower.stopping)
        if level is None:
            return
        self._by_cause[level.cause_id] = Stock(level.sku, level.on_hand, level.reserved)
        if len(self._by_cause) > REMEMBERED:
            self._by_cause.popitem(last=False)

"""SetStock's commands to `inventory.commands`, keyed by SKU, acknowledged by Kafka."""

from __future__ import annotations

from orderflow.inventory.v1.events_pb2 import StockCommand

from inventory_svc.adapters.events import COMMANDS, stock_command_record
from inventory_svc.domain.commands import SetOnHand
from inventory_svc.domain.ports import Unavailable
from orderflow_platform.kafka.clients import trace_headers
from orderflow_platform.kafka.delivery import AcknowledgedProducer, DeliveryFailed
from orderflow_platform.kafka.serde import ProtobufCodec


class KafkaStockCommands:
    def __init__(self, producer: AcknowledgedProducer, codec: ProtobufCodec[StockCommand]) -> None:
        self._producer, self._codec = producer, codec

    async def set_on_hand(self, command: SetOnHand, trace_id: str | None) -> None:
        try:
            value = self._codec.encode(COMMANDS, stock_command_record(command))
            await self._producer.send(COMMANDS, command.sku.encode(), value, trace_headers(trace_id))
        except DeliveryFailed as error:
            raise Unavailable(str(error)) from error

    def close(self) -> int:
        """Flushes what is in flight; returns how many commands were not delivered."""
        return self._producer.close()

"""Producing from asyncio code: await the broker's acknowledgement of each record."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from orderflow_platform.kafka.clients import HeaderValue

# A delivery report waiting to be handed to the event loop that awaits it.
Report = tuple[asyncio.Future[None], Exception | None]


class DeliveryFailed(Exception):
    """Kafka did not take the record (or could not be asked)."""


class AcknowledgedProducer:
    """Wraps a producer polled by a background thread; `send` returns once acks=all holds.

    The reports of one poll go to the event loop together, in one wake-up, rather than
    one wake-up per record.
    """

    def __init__(self, producer: Producer, name: str) -> None:
        self._producer = producer
        self._reports: dict[asyncio.AbstractEventLoop, list[Report]] = {}
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, name=f"{name}-poller", daemon=True)
        self._poller.start()

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, HeaderValue]] = ()
    ) -> None:
        loop = asyncio.get_running_loop()
        delivered: asyncio.Future[None] = loop.create_future()

        # Called by poll() or flush(), on the thread that called it.
        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            outcome = DeliveryFailed(str(error)) if error is not None else None
            self._reports.setdefault(loop, []).append((delivered, outcome))

        try:
            self._producer.produce(
                topic, key=key, value=value, headers=list(headers), on_delivery=on_delivery
            )
        except (BufferError, KafkaException) as error:
            raise DeliveryFailed(str(error)) from error
        await delivered

    def close(self, timeout: float = 10.0) -> int:
        """Flushes what is in flight; returns how many records were not delivered."""
        self._stopping.set()
        self._poller.join()
        undelivered = int(self._producer.flush(timeout))
        self._hand_over()
        return undelivered

    def _poll(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(0.05)
            self._hand_over()

    def _hand_over(self) -> None:
        reports, self._reports = self._reports, {}
        for loop, settled in reports.items():
            # A loop that has closed has nobody awaiting these any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle_all, settled)


def _settle_all(reports: list[Report]) -> None:
    for future, error in reports:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

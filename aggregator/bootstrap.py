"""The one place where the aggregator's real adapters are built."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from orderflow.metrics.v1 import metrics_service_pb2_grpc
from orderflow.metrics.v1.events_pb2 import OrderRateWindow

from aggregator.adapters.events import LIVE
from aggregator.adapters.rate_view import RateView
from aggregator.domain.windows import Policy
from aggregator.entrypoints.grpc_api import SERVICE, MetricsServicer, RateWindows
from aggregator.entrypoints.stream import AggregatorProcessor, message_types
from aggregator.settings import AggregatorServiceSettings, WindowSettings
from orderflow_platform import grpc_server
from orderflow_platform.app import ServiceApp, Stream
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.schema_gate import schemas_registered
from orderflow_platform.settings import Settings
from orderflow_platform.shutdown import Shutdown, in_background, until_set
from orderflow_platform.stream.codecs import TopicCodecs
from orderflow_platform.stream.kafka_transaction import transactional_loop
from orderflow_platform.stream.loop import Batching, StreamLoop

GROUP_ID = "aggregator"


def policy(settings: WindowSettings) -> Policy:
    return Policy(
        allowed_lateness=timedelta(seconds=settings.allowed_lateness_seconds),
        publish_interval=timedelta(seconds=settings.publish_interval_seconds),
    )


BATCHING = Batching(max_records=5000, linger_seconds=0.5)


def stream_loop(settings: AggregatorServiceSettings, instance: str) -> StreamLoop:
    registry = clients.registry_client(settings.registry)
    codecs = TopicCodecs(registry, settings.registry.auto_register_schemas, message_types())
    processor = AggregatorProcessor(settings.kafka, codecs, policy(settings.aggregator))
    return transactional_loop(
        settings.kafka,
        group_id=GROUP_ID,
        # Stable per replica: a restarted replica fences the transactions of its old self.
        transactional_id=f"{GROUP_ID}-{instance}",
        topics=processor.inputs,
        processor=processor,
        punctuator=processor,
        # Counts per minute can wait half a second. Each transaction costs the broker about
        # ten requests whatever it carries, and a fetch for every few new orders as many
        # again: with a batch per 20 ms, the aggregator sent the broker as many requests as
        # an inventory replica (160/s at 80 orders/s).
        batching=BATCHING,
        consumer_config=clients.BATCHED_FETCH,
    )


def written_schemas(settings: Settings) -> list[tuple[str, ProtobufCodec[Any]]]:
    """The schemas the aggregator writes, by topic, for the readiness gate."""
    registry = clients.registry_client(settings.registry)
    codecs = TopicCodecs(registry, settings.registry.auto_register_schemas, message_types())
    return [(topic, codecs.by_topic[topic]) for topic in (LIVE.window_orders, LIVE.windows, LIVE.rate)]


def rate_view(settings: Settings) -> RateView:
    registry = clients.registry_client(settings.registry)
    codec = ProtobufCodec(registry, OrderRateWindow, auto_register=settings.registry.auto_register_schemas)
    return RateView(settings.kafka, codec)


@asynccontextmanager
async def following_rates(settings: Settings) -> AsyncIterator[RateView]:
    """The published windows read up to the topic's end, then followed until leaving."""
    rates = await asyncio.to_thread(rate_view(settings).start)
    try:
        yield rates
    finally:
        rates.stop()


@dataclass(frozen=True)
class AggregatorParts:
    """What a replica runs on: the real adapters from `app`, fakes in tests."""

    # Waits until the registry holds every schema the replica writes; False when shutdown
    # came first.
    schemas_ready: Callable[[Shutdown], Awaitable[bool]]
    stream: Callable[[], Stream]
    # The published windows, read to the topic's end, then followed until leaving.
    rates: Callable[[], AbstractAsyncContextManager[RateWindows]]


class AggregatorApp(ServiceApp):
    """One replica: the stream processor (a Kafka loop in a thread of its own) and
    MetricsService over the published windows. Leaving stops the rate view's tail."""

    def __init__(self, parts: AggregatorParts, address: str) -> None:
        super().__init__()
        self._parts, self._address = parts, address
        self.port = grpc_server.BoundPort()

    async def run(self, shutdown: Shutdown) -> None:
        # A schema the registry refuses would fail every transaction: wait, not ready, instead.
        if not await self._parts.schemas_ready(shutdown):
            return
        loop = self._parts.stream()
        # The Kafka loop blocks, so it runs beside the event loop that serves gRPC.
        async with in_background(loop.run, shutdown, "aggregator-stream"):
            # Ready (serving) once the windows are rebuilt and the published ones read.
            if not await until_set(loop.assigned, shutdown):
                return
            rates = await self._resources.enter_async_context(self._parts.rates())
            await grpc_server.serve(
                lambda server: metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(
                    MetricsServicer(rates), server
                ),
                [SERVICE],
                self._address,
                shutdown,
                bound=self.port,
            )


def instance() -> str:
    """The replica's name, which its transactional id carries."""
    return os.environ.get("AGGREGATOR_INSTANCE", "1")


def app(settings: AggregatorServiceSettings) -> AggregatorApp:
    replica = instance()
    parts = AggregatorParts(
        schemas_ready=lambda shutdown: schemas_registered(written_schemas(settings), shutdown),
        stream=lambda: stream_loop(settings, replica),
        rates=lambda: following_rates(settings),
    )
    return AggregatorApp(parts, os.environ.get("AGGREGATOR_ADDRESS", "0.0.0.0:50054"))

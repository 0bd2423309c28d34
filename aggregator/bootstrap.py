"""The one place where the aggregator's real adapters are built."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from orderflow.metrics.v1.events_pb2 import OrderRateWindow

from aggregator.adapters.events import LIVE
from aggregator.adapters.rate_view import RateView
from aggregator.domain.windows import Policy
from aggregator.entrypoints.stream import AggregatorProcessor, Codecs
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.kafka.transactional import TransactionalLoop
from orderflow_platform.settings import Settings

GROUP_ID = "aggregator"


def policy(settings: Settings) -> Policy:
    return Policy(
        allowed_lateness=timedelta(seconds=settings.aggregator.allowed_lateness_seconds),
        publish_interval=timedelta(seconds=settings.aggregator.publish_interval_seconds),
    )


def stream_loop(settings: Settings, instance: str) -> TransactionalLoop:
    registry = clients.registry_client(settings.registry)
    codecs = Codecs(registry, settings.registry.auto_register_schemas)
    processor = AggregatorProcessor(settings.kafka, codecs, policy(settings))
    return TransactionalLoop(
        settings.kafka,
        group_id=GROUP_ID,
        # Stable per replica: a restarted replica fences the transactions of its old self.
        transactional_id=f"{GROUP_ID}-{instance}",
        topics=processor.inputs,
        processor=processor,
        punctuator=processor,
    )


def written_schemas(settings: Settings) -> list[tuple[str, ProtobufCodec[Any]]]:
    """The schemas the aggregator writes, by topic, for the readiness gate."""
    codecs = Codecs(clients.registry_client(settings.registry), settings.registry.auto_register_schemas)
    return [(topic, codecs.by_topic[topic]) for topic in (LIVE.window_orders, LIVE.windows, LIVE.rate)]


def rate_view(settings: Settings) -> RateView:
    registry = clients.registry_client(settings.registry)
    codec = ProtobufCodec(registry, OrderRateWindow, auto_register=settings.registry.auto_register_schemas)
    return RateView(settings.kafka, codec)

"""The one place where the projector's real adapters are built."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from confluent_kafka import Consumer

from orderflow_platform.app import ServiceApp
from orderflow_platform.kafka import clients
from orderflow_platform.logs import get_logger
from orderflow_platform.settings import Settings
from orderflow_platform.shutdown import Shutdown, in_background
from orderflow_platform.stream.loop import StreamLoop
from orderflow_platform.stream.postgres_checkpoint import checkpointed_loop
from projector.adapters.events import TOPICS, EventDecoder
from projector.entrypoints.consumer import CONSUMER_NAME, Projection
from projector.entrypoints.replay import ReplaySources


def decoder(settings: Settings) -> EventDecoder:
    return EventDecoder(clients.registry_client(settings.registry))


def projection_loop(settings: Settings) -> StreamLoop:
    return checkpointed_loop(
        settings.kafka,
        settings.postgres.dsn,
        consumer_name=CONSUMER_NAME,
        topics=TOPICS,
        handler=Projection(decoder(settings)),
    )


def replay_reader(settings: Settings) -> Consumer:
    """Assigned partitions only, never committed: the group id names it in broker logs."""
    return clients.consumer(settings.kafka, f"{CONSUMER_NAME}-replay", **{"enable.partition.eof": True})


def replay_sources(settings: Settings) -> ReplaySources:
    return ReplaySources(partial(replay_reader, settings), partial(decoder, settings), settings.postgres.dsn)


class ProjectionApp(ServiceApp):
    """The projection loop, in a thread of its own, until shutdown."""

    def __init__(self, projection: Callable[[Shutdown], None]) -> None:
        super().__init__()
        self._projection = projection

    async def run(self, shutdown: Shutdown) -> None:
        get_logger().info("projecting")
        async with in_background(self._projection, shutdown, "projector-stream"):
            await shutdown.wait_async()
        get_logger().info("stopped")


def app(settings: Settings) -> ProjectionApp:
    return ProjectionApp(projection_loop(settings).run)

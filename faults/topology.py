"""Who reads what, taken from the services' own constants, so the suite follows the code."""

from __future__ import annotations

from collections import defaultdict

from aggregator.adapters.events import ORDERS as AGGREGATED
from aggregator.adapters.events import WINDOW_ORDERS
from aggregator.bootstrap import GROUP_ID as AGGREGATOR
from faults.model import ConsumersByTopic
from inventory_svc.adapters import events as inventory_topics
from inventory_svc.bootstrap import GROUP_ID as INVENTORY
from inventory_svc.entrypoints.stream import INPUTS as INVENTORY_INPUTS
from notify_svc.adapters.events import TOPICS as NOTIFY_INPUTS
from notify_svc.entrypoints.consumer import CONSUMER_NAME as NOTIFY
from projector.adapters.events import TOPICS as PROJECTOR_INPUTS
from projector.entrypoints.consumer import CONSUMER_NAME as PROJECTOR

ORDERS = inventory_topics.ORDERS
RESERVED = inventory_topics.RESERVED
FAILED = inventory_topics.FAILED
STOCK = inventory_topics.STOCK
COMMANDS = inventory_topics.COMMANDS
LINE_RESULTS = inventory_topics.LINE_RESULTS
INPUT_TOPICS = (ORDERS, COMMANDS, LINE_RESULTS, RESERVED, FAILED, STOCK)


def dlq(topic: str) -> str:
    return f"{topic}.dlq"


def consumers_by_topic() -> ConsumersByTopic:
    """The consumers that park a topic's undecodable records on its DLQ, by their DLQ name."""
    readers: dict[str, set[str]] = defaultdict(set)
    for consumer, topics in (
        (INVENTORY, INVENTORY_INPUTS),
        (PROJECTOR, PROJECTOR_INPUTS),
        (NOTIFY, NOTIFY_INPUTS),
        (AGGREGATOR, (AGGREGATED, WINDOW_ORDERS)),
    ):
        for topic in topics:
            readers[topic].add(consumer)
    return {topic: frozenset(names) for topic, names in readers.items()}

"""The lag exporter's arithmetic, and its list of consumers kept true to the services."""

from __future__ import annotations

from typing import Any, cast

from prometheus_client import CollectorRegistry

from aggregator.adapters import events as aggregator_events
from aggregator.bootstrap import GROUP_ID as AGGREGATOR_GROUP
from inventory_svc.bootstrap import GROUP_ID as INVENTORY_GROUP
from inventory_svc.entrypoints.stream import INPUTS as INVENTORY_INPUTS
from notify_svc.adapters.events import TOPICS as NOTIFY_TOPICS
from notify_svc.entrypoints.consumer import CONSUMER_NAME as NOTIFY_CONSUMER
from orderflow_ops.connect import AUDIT_CONNECTOR, connector_config
from orderflow_ops.lag_exporter import Consumer, LagCollector, Offsets, lag, load_consumers, parked_by
from projector.adapters.events import TOPICS as PROJECTOR_TOPICS
from projector.entrypoints.consumer import CONSUMER_NAME as PROJECTOR_CONSUMER


def test_lag_is_the_stable_end_minus_the_position_and_never_negative() -> None:
    ends = {("t", 0): 10, ("t", 1): 7, ("t", 2): 5}
    assert lag(ends, {}, {("t", 0): 4, ("t", 1): 8, ("t", 2): 5}) == {("t", 0): 6, ("t", 1): 0, ("t", 2): 0}


def test_a_partition_never_consumed_lags_by_everything_from_its_first_record() -> None:
    assert lag({("t", 0): 10}, {("t", 0): 3}, {}) == {("t", 0): 7}


def test_a_dead_letter_is_counted_for_the_consumer_that_parked_it() -> None:
    assert parked_by([("dlq_reason", b"undecodable"), ("dlq_consumer", b"projector")]) == "projector"
    assert parked_by([("__connect.errors.topic", b"orders.created")]) == "connect-audit-sink"
    assert parked_by([("dlq_reason", b"gave up"), ("dlq_sink", b"email")]) == "notify_svc"


def test_every_consumer_of_the_stack_is_watched_with_its_own_group_and_topics() -> None:
    audit_topics = tuple(connector_config(AUDIT_CONNECTOR)["topics"].split(","))
    expected = {
        Consumer(INVENTORY_GROUP, "kafka", tuple(INVENTORY_INPUTS)),
        Consumer(AGGREGATOR_GROUP, "kafka", (aggregator_events.ORDERS, aggregator_events.WINDOW_ORDERS)),
        # Kafka Connect's sink tasks consume in group "connect-<connector name>".
        Consumer(f"connect-{AUDIT_CONNECTOR}", "kafka", audit_topics),
        Consumer(PROJECTOR_CONSUMER, "postgres", tuple(PROJECTOR_TOPICS)),
        Consumer(NOTIFY_CONSUMER, "postgres", tuple(NOTIFY_TOPICS)),
    }
    assert set(load_consumers()) == expected


class UnreachableOffsets:
    """Offsets that must not be asked for: any call fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"asked Kafka or Postgres ({name}) before any scrape")


def test_registering_the_lag_collector_asks_kafka_nothing() -> None:
    registry = CollectorRegistry()
    collector = LagCollector(cast(Offsets, UnreachableOffsets()), load_consumers())
    registry.register(collector)
    assert {family.name for family in collector.describe()} == {
        "orderflow_consumer_group_lag",
        "orderflow_consumer_group_position",
        "orderflow_topic_stable_end_offset",
        "orderflow_lag_exporter_failures",
    }

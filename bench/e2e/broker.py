"""The broker's requests by type, counted by its JMX exporter, before and after a run.

The broker's CPU follows how many requests it answers far more than how many bytes: an
order is a few hundred bytes, but each transaction, produce and fetch is a request. Per
order and per type, the report shows which clients' habits cost the broker most.
"""

from __future__ import annotations

from collections import defaultdict

import httpx
from prometheus_client.parser import text_string_to_metric_families

# The JMX exporter agent in the broker's JVM (stack/stack.yaml).
BROKER_METRICS = "http://127.0.0.1:9110/metrics"
REQUESTS = "kafka_network_requests_total"
# Kafka counts a fetch twice: as Fetch, and as FetchConsumer or FetchFollower by its sender.
SUBTYPES = frozenset({"FetchConsumer", "FetchFollower"})


def requests_by_type() -> dict[str, float]:
    """Requests answered since the broker started, per type; empty while it does not answer."""
    try:
        text = httpx.get(BROKER_METRICS, timeout=5.0).text
    except httpx.HTTPError:
        return {}
    counts: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == REQUESTS and sample.labels["request"] not in SUBTYPES:
                counts[sample.labels["request"]] += sample.value
    return dict(counts)


def requests_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Requests per type between two counts; a broker restarted meanwhile counts from 0."""
    if any(after.get(name, 0.0) < count for name, count in before.items()):
        return after
    since = {name: count - before.get(name, 0.0) for name, count in after.items()}
    return {name: count for name, count in since.items() if count > 0}

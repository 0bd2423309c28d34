"""Prometheus on the running stack: every target it is configured with answers, and every
consumer of config/consumers.yaml has a lag series for each partition of its topics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

from orderflow_ops.lag_exporter import load_consumers
from orderflow_platform.kafka import clients
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually

PROMETHEUS = "http://127.0.0.1:9090"
CONFIG = Path(__file__).resolve().parents[2] / "stack" / "prometheus" / "prometheus.yml"
# A target is scraped every 5 or 15 s; a freshly started one answers within a few scrapes.
UP_WITHIN_SECONDS = 120


def query(promql: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{PROMETHEUS}/api/v1/query", params={"query": promql}, timeout=10).json()
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def test_every_configured_target_is_up() -> None:
    configured = {
        (job["job_name"], target)
        for job in yaml.safe_load(CONFIG.read_text())["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }

    def all_up() -> bool:
        up = {(s["metric"]["job"], s["metric"]["instance"]) for s in query("up == 1")}
        return configured <= up

    eventually(all_up, UP_WITHIN_SECONDS, every=1.0)


def test_every_consumer_has_a_lag_series_per_partition_of_its_topics(settings: Settings) -> None:
    topics = clients.admin_client(settings.kafka).list_topics(timeout=10).topics
    expected = {
        (consumer.name, topic, str(partition))
        for consumer in load_consumers()
        for topic in consumer.topics
        for partition in topics[topic].partitions
    }

    def series() -> bool:
        found = query("orderflow_consumer_group_lag")
        return expected <= {
            (s["metric"]["group"], s["metric"]["topic"], s["metric"]["partition"]) for s in found
        }

    eventually(series, UP_WITHIN_SECONDS, every=1.0)

"""Live topics against config/topics.yaml, and provisioning that reconciles drift."""

from __future__ import annotations

from orderflow_ops import topics
from orderflow_platform.kafka.clients import admin_client
from orderflow_platform.settings import Settings
from tests.integration.helpers import create_topic


def test_live_topics_match_the_declarative_file(settings: Settings) -> None:
    admin = admin_client(settings.kafka)
    assert topics.drift(admin, topics.load_specs()) == []


def test_apply_creates_aligns_configs_is_idempotent_and_reports_partition_drift(
    settings: Settings, unique: str
) -> None:
    admin = admin_client(settings.kafka)
    fresh = topics.TopicSpec(f"test.fresh.{unique}", 4, {"cleanup.policy": "compact"})
    skewed = topics.TopicSpec(f"test.skewed.{unique}", 3, {"retention.ms": "-1"})
    create_topic(admin, skewed.name, partitions=2, **{"retention.ms": "3600000"})

    assert topics.drift(admin, [fresh, skewed]) == [
        f"{fresh.name}: missing",
        f"{skewed.name}: 2 partitions, file says 3",
        f"{skewed.name}: retention.ms=3600000, file says -1",
    ]
    remaining = topics.apply(admin, [fresh, skewed], replication_factor=1)
    # Configs are fixed; a partition count is left for a person to decide.
    assert remaining == [f"{skewed.name}: 2 partitions, file says 3"]
    assert topics.apply(admin, [fresh, skewed], replication_factor=1) == remaining
    live = admin.list_topics(timeout=10).topics
    assert len(live[fresh.name].partitions) == 4

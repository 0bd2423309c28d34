"""Topics from config/topics.yaml: create what is missing, align configs, report drift.

Partition counts are never changed automatically: adding partitions moves keys to new
partitions and would break per-user ordering, so a partition mismatch is reported for a
person to decide.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)

from orderflow_platform.settings import CONFIG_DIR

TOPICS_FILE = CONFIG_DIR / "topics.yaml"
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def load_specs(path: Path = TOPICS_FILE) -> list[TopicSpec]:
    raw = yaml.safe_load(path.read_text())
    defaults = raw.get("defaults", {})
    specs = []
    for name, declared in raw["topics"].items():
        entry = declared or {}
        config = {**defaults.get("config", {}), **entry.get("config", {})}
        specs.append(
            TopicSpec(
                name=name,
                partitions=int(entry.get("partitions", defaults.get("partitions", 1))),
                config={key: str(value) for key, value in config.items()},
            )
        )
    return specs


def drift(admin: AdminClient, specs: list[TopicSpec]) -> list[str]:
    """What differs between the live topics and the specs, one line each."""
    live = admin.list_topics(timeout=TIMEOUT_SECONDS).topics
    findings = []
    present = [spec for spec in specs if spec.name in live]
    findings += [f"{spec.name}: missing" for spec in specs if spec.name not in live]
    for spec in present:
        partitions = len(live[spec.name].partitions)
        if partitions != spec.partitions:
            findings.append(f"{spec.name}: {partitions} partitions, file says {spec.partitions}")
    for spec, actual in zip(present, _live_configs(admin, present), strict=True):
        for key, wanted in spec.config.items():
            if actual.get(key) != wanted:
                findings.append(f"{spec.name}: {key}={actual.get(key)}, file says {wanted}")
    return findings


def apply(admin: AdminClient, specs: list[TopicSpec], replication_factor: int) -> list[str]:
    """Creates missing topics and aligns configs; returns the drift that remains."""
    live = admin.list_topics(timeout=TIMEOUT_SECONDS).topics
    missing = [
        NewTopic(s.name, num_partitions=s.partitions, replication_factor=replication_factor, config=s.config)
        for s in specs
        if s.name not in live
    ]
    for future in (admin.create_topics(missing) if missing else {}).values():
        try:
            future.result(TIMEOUT_SECONDS)
        except KafkaException as error:
            if error.args[0].name() != "TOPIC_ALREADY_EXISTS":  # another provisioner won the race
                raise
    present = [spec for spec in specs if spec.name in live]
    altered = []
    for spec, actual in zip(present, _live_configs(admin, present), strict=True):
        changes = [
            ConfigEntry(key, wanted, incremental_operation=AlterConfigOpType.SET)
            for key, wanted in spec.config.items()
            if actual.get(key) != wanted
        ]
        if changes:
            resource = ConfigResource(ResourceType.TOPIC, spec.name, incremental_configs=changes)
            for future in admin.incremental_alter_configs([resource]).values():
                future.result(TIMEOUT_SECONDS)
            altered.append(spec)
    _await_configs(admin, altered)
    return drift(admin, specs)


def _await_configs(admin: AdminClient, specs: list[TopicSpec]) -> None:
    """Waits until the broker describes the configs just altered: it applies them from the
    metadata log a moment after the controller accepted them."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while specs and time.monotonic() < deadline:
        live = _live_configs(admin, specs)
        if all(
            actual.get(k) == v
            for spec, actual in zip(specs, live, strict=True)
            for k, v in spec.config.items()
        ):
            return
        time.sleep(0.1)


def _live_configs(admin: AdminClient, specs: list[TopicSpec]) -> list[dict[str, str]]:
    if not specs:
        return []
    resources = [ConfigResource(ResourceType.TOPIC, spec.name) for spec in specs]
    futures = admin.describe_configs(resources)
    return [
        {key: entry.value for key, entry in futures[resource].result(TIMEOUT_SECONDS).items()}
        for resource in resources
    ]

"""The topic names declared in code are the topics config/topics.yaml provisions."""

from __future__ import annotations

from orderflow_ops.topics import load_specs
from orderflow_platform import topics


def test_every_declared_topic_is_provisioned_and_every_provisioned_one_declared() -> None:
    assert {spec.name for spec in load_specs()} == topics.DECLARED


def test_co_partitioned_topics_have_the_same_partition_count() -> None:
    partitions = {spec.name: spec.partitions for spec in load_specs()}
    for group in topics.CO_PARTITIONED:
        assert len({partitions[name] for name in group}) == 1, {name: partitions[name] for name in group}

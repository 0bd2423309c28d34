from pathlib import Path

from orderflow_ops.topics import TOPICS_FILE, load_specs


def test_entries_inherit_defaults_and_override_them(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(
        """
defaults:
  partitions: 6
  config: {min.insync.replicas: "1", cleanup.policy: delete}
topics:
  a: {partitions: 2, config: {cleanup.policy: compact}}
  b:
"""
    )
    a, b = load_specs(path)
    assert (a.name, a.partitions, a.config) == (
        "a",
        2,
        {"min.insync.replicas": "1", "cleanup.policy": "compact"},
    )
    assert (b.name, b.partitions, b.config["cleanup.policy"]) == ("b", 6, "delete")


def test_the_project_topics_meet_the_design() -> None:
    specs = {spec.name: spec for spec in load_specs(TOPICS_FILE)}
    orders = specs["orders.created"]
    assert orders.partitions >= 4
    assert orders.config["retention.ms"] == "-1"
    for name in ("inventory.reserved", "inventory.failed", "metrics.order.rate"):
        assert name in specs
        assert f"{name}.dlq" in specs or name == "metrics.order.rate"
    assert "orders.created.dlq" in specs

"""The stream runtime's metrics; their names are what dashboards and tests already use."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

TRANSACTIONS = Counter(
    "orderflow_kafka_transactions_total", "Kafka transactions by result", ["group", "result"]
)
REBUILD_SECONDS = Histogram(
    "orderflow_state_rebuild_seconds",
    "Time to rebuild in-memory state from changelogs on assignment",
    ["group"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CONSUMER_LAG = Gauge("orderflow_consumer_lag", "Records not yet consumed", ["group", "topic", "partition"])
REBALANCED = Counter(
    "orderflow_partitions_rebalanced_total",
    "Partitions a member was given or gave up in rebalances",
    ["group", "change"],
)
DEAD_LETTERS = Counter("orderflow_dead_letters_total", "Messages parked on a DLQ", ["topic"])
RECORDS = Counter("orderflow_checkpointed_records_total", "Records written to Postgres", ["consumer"])
BATCH_SECONDS = Histogram(
    "orderflow_checkpointed_batch_seconds",
    "Time to write one batch and its offsets",
    ["consumer"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
POSTGRES_UNAVAILABLE = Counter(
    "orderflow_checkpointed_postgres_unavailable_total",
    "Attempts to reach Postgres that failed (the loop waits and tries again)",
    ["consumer"],
)

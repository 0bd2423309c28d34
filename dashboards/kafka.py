"""Kafka and lag: every consumer's lag down to the partition, DLQ parking, transactions, rebalances."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from dashboards.panels import datasource_variable, graph, label_variable, query, rate

GROUP = 'group=~"$group"'
TRANSACTIONS = "orderflow_kafka_transactions_total"
ABORTED = f'result="aborted", {GROUP}'
REBALANCED = "orderflow_partitions_rebalanced_total"


def kafka() -> Dashboard:
    return (
        Dashboard("orderflow Kafka and lag")
        .uid("orderflow-kafka")
        .tags(["orderflow", "kafka"])
        .description("Consumer lag per group, topic and partition; DLQ rates; transactions and rebalances.")
        .refresh("10s")
        .time("now-30m", "now")
        .with_variable(datasource_variable())
        .with_variable(label_variable("group", "Consumer group", "orderflow_consumer_lag"))
        .with_row(Row("Lag"))
        .with_panel(
            graph(
                "Lag by group",
                "Records not yet processed by each consumer group, summed over its topics and partitions.",
                "short",
                query(f"sum by (group) (orderflow_consumer_lag{{{GROUP}}})", "{{group}}"),
            )
        )
        .with_panel(
            graph(
                "Lag by group and topic",
                "The same lag split by input topic.",
                "short",
                query(f"sum by (group, topic) (orderflow_consumer_lag{{{GROUP}}})", "{{group}} {{topic}}"),
            )
        )
        .with_panel(
            graph(
                "Lag by partition",
                "One line per group, topic and partition: a single stuck partition shows here first.",
                "short",
                query(
                    f"max by (group, topic, partition) (orderflow_consumer_lag{{{GROUP}}})",
                    "{{group}} {{topic}}[{{partition}}]",
                ),
            )
        )
        .with_panel(
            graph(
                "Lag change per minute",
                "How fast each group's lag grows (positive) or drains (negative).",
                "short",
                query(f"sum by (group) (delta(orderflow_consumer_lag{{{GROUP}}}[1m]))", "{{group}}"),
            )
        )
        .with_row(Row("Dead letters and transactions"))
        .with_panel(
            graph(
                "DLQ records by topic",
                "Records parked on a DLQ (undecodable or invalid), per second, by the topic they came from.",
                "reqps",
                query(f"sum by (topic) ({rate('orderflow_dead_letters_total')})", "{{topic}}"),
            )
        )
        .with_panel(
            graph(
                "Transactions by result",
                "Kafka transactions committed and aborted by each transactional group, per second.",
                "reqps",
                query(
                    f"sum by (group, result) ({rate('orderflow_kafka_transactions_total', GROUP)})",
                    "{{group}} {{result}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Transaction abort ratio",
                "Aborted over all transactions of each group; none aborted is 0.",
                "percentunit",
                query(
                    f"(sum by (group) ({rate(TRANSACTIONS, ABORTED)})"
                    f" or sum by (group) ({rate(TRANSACTIONS, GROUP)}) * 0)"
                    f" / sum by (group) ({rate(TRANSACTIONS, GROUP)})",
                    "{{group}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Partitions moved in rebalances",
                "Partitions each group's members were given or gave up over the last 5 minutes.",
                "short",
                query(
                    f"sum by (group, change) (increase({REBALANCED}{{{GROUP}}}[5m]))",
                    "{{group}} {{change}}",
                ),
            )
        )
    )

"""Kafka and lag: every consumer's lag down to the partition, DLQs, transactions, the broker."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from dashboards.panels import RATE, datasource_variable, graph, label_variable, query, rate

GROUP = 'group=~"$group"'
# Every consumer's lag per partition, from its stored position: Kafka's committed offsets or the
# Postgres checkpoints (the lag exporter, orderflow_ops/lag_exporter.py).
LAG = f"orderflow_consumer_group_lag{{{GROUP}}}"
TRANSACTIONS = "orderflow_kafka_transactions_total"
ABORTED = f'result="aborted", {GROUP}'
REBALANCED = "orderflow_partitions_rebalanced_total"
# The broker's per-topic series; its all-topics total has no topic label.
ANY_TOPIC = 'topic!=""'
REGISTRY = 'job="registry"'


def kafka() -> Dashboard:
    return (
        Dashboard("orderflow Kafka and lag")
        .uid("orderflow-kafka")
        .tags(["orderflow", "kafka"])
        .description(
            "Consumer lag per group, topic and partition; DLQs; transactions; the broker and the registry."
        )
        .refresh("10s")
        .time("now-30m", "now")
        .with_variable(datasource_variable())
        .with_variable(label_variable("group", "Consumer group", "orderflow_consumer_group_lag"))
        .with_row(Row("Lag"))
        .with_panel(
            graph(
                "Lag by group",
                "Records not yet processed by each consumer, summed over its topics and partitions.",
                "short",
                query(f"sum by (group) ({LAG})", "{{group}}"),
            )
        )
        .with_panel(
            graph(
                "Lag by group and topic",
                "The same lag split by input topic.",
                "short",
                query(f"sum by (group, topic) ({LAG})", "{{group}} {{topic}}"),
            )
        )
        .with_panel(
            graph(
                "Lag by partition",
                "One line per consumer, topic and partition: a single stuck partition shows here first.",
                "short",
                query(f"max by (group, topic, partition) ({LAG})", "{{group}} {{topic}}[{{partition}}]"),
            )
        )
        .with_panel(
            graph(
                "Lag change per minute",
                "How fast each consumer's lag grows (positive) or drains (negative).",
                "short",
                query(f"sum by (group) (delta({LAG}[1m]))", "{{group}}"),
            )
        )
        .with_row(Row("Dead letters and transactions"))
        .with_panel(
            graph(
                "DLQ records by topic and consumer",
                "Records parked per minute on each DLQ, by the consumer that parked them.",
                "short",
                query(
                    "sum by (topic, consumer) (delta(orderflow_dlq_records[1m]))", "{{topic}} by {{consumer}}"
                ),
            )
        )
        .with_panel(
            graph(
                "DLQ records parked by input topic",
                "Undecodable or invalid records services parked, per second, by the topic they came from.",
                "reqps",
                query(f"sum by (topic) ({rate('orderflow_dead_letters_total')})", "{{topic}}"),
            )
        )
        .with_panel(
            graph(
                "Transactions by result",
                "Kafka transactions committed and aborted by each transactional group, per second.",
                "reqps",
                query(f"sum by (group, result) ({rate(TRANSACTIONS, GROUP)})", "{{group}} {{result}}"),
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
                    f"sum by (group, change) (increase({REBALANCED}{{{GROUP}}}[5m]))", "{{group}} {{change}}"
                ),
            )
        )
        .with_row(Row("Broker, Connect and registry"))
        .with_panel(
            graph(
                "Records appended by topic",
                "Records per second read_committed consumers can see, from each topic's stable end offset.",
                "reqps",
                query(
                    f"sum by (topic) (deriv(orderflow_topic_stable_end_offset[{RATE}]))",
                    "{{topic}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Broker messages in by topic",
                "Messages the broker appended per second, per topic (JMX exporter).",
                "reqps",
                query(
                    f"sum by (topic) ({rate('kafka_server_brokertopicmetrics_messagesin_total', ANY_TOPIC)})",
                    "{{topic}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Broker request time p99",
                "99th percentile of the broker's total time for produce, consumer fetch and EndTxn requests.",
                "ms",
                query(
                    'max by (request) (kafka_network_request_total_time_ms{quantile="0.99"})', "{{request}}"
                ),
            )
        )
        .with_panel(
            graph(
                "Audit sink records",
                "Records the Connect audit sink read from Kafka and wrote to Postgres, per second.",
                "reqps",
                query(
                    "sum by (connector) (kafka_connect_sink_task_metrics_sink_record_read_rate)",
                    "{{connector}} read",
                ),
                query(
                    "sum by (connector) (kafka_connect_sink_task_metrics_sink_record_send_rate)",
                    "{{connector}} written",
                ),
            )
        )
        .with_panel(
            graph(
                "Registry requests by status",
                "Schema registry REST requests per second, by status class.",
                "reqps",
                query(
                    f"sum by (status_code_group) ({rate('rest_requests_seconds_count', REGISTRY)})",
                    "{{status_code_group}}",
                ),
            )
        )
    )

"""The overview: orders in and settled, outcomes, CreateOrder latency and errors, lag at a glance."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from dashboards.panels import CREATE_ORDER, datasource_variable, graph, p50_p99, query, rate, single

ORDERS_IN = f"sum({rate('orderflow_order_events_published_total')})"
OUTCOMES = f"sum by (outcome) ({rate('orderflow_inventory_orders_settled_total')})"
SETTLED = f"sum({rate('orderflow_inventory_orders_settled_total')})"
NOT_OK = 'code!="OK"'
PUBLIC_LISTENER = 'envoy_http_conn_manager_prefix="public"'
CREATE_ORDER_METHOD = f'method="{CREATE_ORDER}"'
CREATE_ORDER_BUCKETS = rate("orderflow_grpc_server_handling_seconds_bucket", CREATE_ORDER_METHOD)
# Every consumer's lag, from the lag exporter (orderflow_ops/lag_exporter.py).
LAG = "orderflow_consumer_group_lag"


def overview() -> Dashboard:
    return (
        Dashboard("orderflow overview")
        .uid("orderflow-overview")
        .tags(["orderflow"])
        .description("Orders in and settled, outcomes, CreateOrder latency and errors, consumer lag.")
        .refresh("10s")
        .time("now-30m", "now")
        .with_variable(datasource_variable())
        .with_row(Row("Now"))
        .with_panel(
            single(
                "Orders in", "OrderCreated events Kafka acknowledged, per second.", "reqps", query(ORDERS_IN)
            )
        )
        .with_panel(
            single("Orders settled", "Outcomes inventory committed, per second.", "reqps", query(SETTLED))
        )
        .with_panel(
            single(
                "CreateOrder p99",
                "99th percentile of CreateOrder's latency at order_svc, every status code together.",
                "s",
                query(f"histogram_quantile(0.99, sum by (le) ({CREATE_ORDER_BUCKETS}))"),
            )
        )
        .with_panel(
            single(
                "Consumer lag",
                "Records not yet processed, over every consumer.",
                "short",
                query(f"sum({LAG})"),
            )
        )
        .with_panel(
            single(
                "DLQ records, 5 min",
                "Records parked on any DLQ in the last five minutes, by any consumer.",
                "short",
                query("sum(delta(orderflow_dlq_records[5m]))"),
            )
        )
        .with_panel(
            single(
                "Targets up",
                "Share of Prometheus's targets that answer its scrapes.",
                "percentunit",
                query("sum(up) / count(up)"),
            )
        )
        .with_row(Row("Orders"))
        .with_panel(
            graph(
                "Orders in and settled",
                "Accepted orders against outcomes: settled falling behind in means settlement stalls.",
                "reqps",
                query(ORDERS_IN, "in"),
                query(SETTLED, "settled"),
            )
        )
        .with_panel(
            graph(
                "Confirmed and rejected",
                "Orders reserved (confirmed) and rejected (out of stock), per second.",
                "reqps",
                query(OUTCOMES, "{{outcome}}"),
            )
        )
        .with_row(Row("CreateOrder"))
        .with_panel(
            graph(
                "CreateOrder latency",
                "p50 and p99 of CreateOrder at order_svc, every status code together.",
                "s",
                *p50_p99(f"sum by (le) ({CREATE_ORDER_BUCKETS})"),
            )
        )
        .with_panel(
            graph(
                "CreateOrder p99 by status code",
                "A fast INVALID_ARGUMENT and a slow UNAVAILABLE apart.",
                "s",
                query(f"histogram_quantile(0.99, sum by (code, le) ({CREATE_ORDER_BUCKETS}))", "{{code}}"),
            )
        )
        .with_panel(
            graph(
                "Errors by code",
                "RPCs that did not end OK, per method and gRPC status code.",
                "reqps",
                query(
                    f"sum by (method, code) ({rate('orderflow_grpc_server_handled_total', NOT_OK)})",
                    "{{method}} {{code}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Front door responses",
                "Envoy's responses on the public listener (REST and gRPC), by HTTP status class.",
                "reqps",
                query(
                    "sum by (envoy_response_code_class) "
                    f"({rate('envoy_http_downstream_rq_xx', PUBLIC_LISTENER)})",
                    "{{envoy_response_code_class}}xx",
                ),
            )
        )
        .with_row(Row("Consumers"))
        .with_panel(
            graph(
                "Consumer lag by group",
                "Records not yet processed, per consumer (the Kafka and lag dashboard has the detail).",
                "short",
                query(f"sum by (group) ({LAG})", "{{group}}"),
            )
        )
        .with_panel(
            graph(
                "Targets up by job",
                "1 while every target of the job answers Prometheus's scrapes, 0 when one does not.",
                "short",
                query("min by (job) (up)", "{{job}}"),
            )
        )
    )

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
CREATE_ORDER_SECONDS = (
    f"sum by (le) ({rate('orderflow_grpc_server_handling_seconds_bucket', CREATE_ORDER_METHOD)})"
)


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
                "Orders in",
                "OrderCreated events Kafka acknowledged, per second.",
                "reqps",
                query(ORDERS_IN, "in"),
            )
        )
        .with_panel(
            single(
                "Orders settled",
                "Outcomes (reserved or rejected) inventory committed, per second.",
                "reqps",
                query(SETTLED, "settled"),
            )
        )
        .with_panel(
            single(
                "CreateOrder p99",
                "99th percentile of CreateOrder's latency at order_svc.",
                "s",
                query(f"histogram_quantile(0.99, {CREATE_ORDER_SECONDS})", "p99"),
            )
        )
        .with_panel(
            single(
                "Consumer lag",
                "Records not yet processed, summed over every consumer group.",
                "short",
                query("sum(orderflow_consumer_lag)", "lag"),
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
                "Outcomes",
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
                *p50_p99(CREATE_ORDER_SECONDS),
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
        .with_panel(
            graph(
                "Consumer lag by group",
                "Records not yet processed, per consumer group (the Kafka and lag dashboard has the detail).",
                "short",
                query("sum by (group) (orderflow_consumer_lag)", "{{group}}"),
            )
        )
    )

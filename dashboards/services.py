"""One dashboard per service: its process (up, CPU, memory), then the work only it does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.builders.timeseries import Panel

from dashboards.panels import datasource_variable, graph, label_variable, p50_p99, query, rate


@dataclass(frozen=True)
class Service:
    job: str
    description: str
    # The service's own panels, given the selector of its series ('job="...", instance=~"$instance"').
    panels: Callable[[str], list[Panel]]


def service_dashboard(service: Service) -> Dashboard:
    selector = f'job="{service.job}", instance=~"$instance"'
    dashboard = (
        Dashboard(f"orderflow {service.job}")
        .uid(f"orderflow-{service.job.replace('_', '-')}")
        .tags(["orderflow", "service"])
        .description(service.description)
        .refresh("10s")
        .time("now-30m", "now")
        .with_variable(datasource_variable())
        .with_variable(label_variable("instance", "Instance", f'up{{job="{service.job}"}}'))
        .with_row(Row("Process"))
        .with_panel(
            graph(
                "Up",
                "1 while Prometheus scrapes the process, 0 when it cannot.",
                "short",
                query(f"up{{{selector}}}", "{{instance}}"),
            )
        )
        .with_panel(
            graph(
                "CPU",
                "CPU seconds the process uses per second (1 = one core).",
                "percentunit",
                query(f"{rate('process_cpu_seconds_total', selector)}", "{{instance}}"),
            )
        )
        .with_panel(
            graph(
                "Memory",
                "Resident memory of the process.",
                "bytes",
                query(f"process_resident_memory_bytes{{{selector}}}", "{{instance}}"),
            )
        )
    )
    own = service.panels(selector)
    if own:
        dashboard = dashboard.with_row(Row(service.job))
        for panel in own:
            dashboard = dashboard.with_panel(panel)
    return dashboard


def rpc_panels(selector: str) -> list[Panel]:
    """Every gRPC service counts and times its calls the same way (orderflow_platform.metrics)."""
    seconds = f"sum by (method, le) ({rate('orderflow_grpc_server_handling_seconds_bucket', selector)})"
    return [
        graph(
            "RPCs by method and code",
            "Calls completed per second, by method and gRPC status code.",
            "reqps",
            query(
                f"sum by (method, code) ({rate('orderflow_grpc_server_handled_total', selector)})",
                "{{method}} {{code}}",
            ),
        ),
        graph(
            "RPC latency p99",
            "99th percentile of each method's latency.",
            "s",
            query(f"histogram_quantile(0.99, {seconds})", "{{method}}"),
        ),
    ]


def transactional_panels(selector: str) -> list[Panel]:
    """The panels of a consume-transform-produce loop that commits in Kafka transactions."""
    return [
        graph(
            "Transactions by result",
            "Kafka transactions committed and aborted, per second.",
            "reqps",
            query(
                f"sum by (result) ({rate('orderflow_kafka_transactions_total', selector)})",
                "{{result}}",
            ),
        ),
        graph(
            "Lag",
            "Records of its inputs not yet processed, per topic.",
            "short",
            query(f"sum by (topic) (orderflow_consumer_lag{{{selector}}})", "{{topic}}"),
        ),
        graph(
            "State rebuild",
            "Mean time to rebuild in-memory state from the changelogs after an assignment.",
            "s",
            query(
                f"sum(orderflow_state_rebuild_seconds_sum{{{selector}}})"
                f" / sum(orderflow_state_rebuild_seconds_count{{{selector}}})",
                "rebuild",
            ),
        ),
    ]


def checkpointed_panels(selector: str) -> list[Panel]:
    """The panels of a loop that writes rows and its offsets in one Postgres transaction."""
    return [
        graph(
            "Records written",
            "Records applied to Postgres per second, by consumer.",
            "reqps",
            query(
                f"sum by (consumer) ({rate('orderflow_checkpointed_records_total', selector)})",
                "{{consumer}}",
            ),
        ),
        graph(
            "Batch write p99",
            "99th percentile of writing one batch with its offsets.",
            "s",
            query(
                "histogram_quantile(0.99, sum by (consumer, le) "
                f"({rate('orderflow_checkpointed_batch_seconds_bucket', selector)}))",
                "{{consumer}}",
            ),
        ),
    ]


def order_panels(selector: str) -> list[Panel]:
    return [
        *rpc_panels(selector),
        graph(
            "OrderCreated events",
            "Events Kafka acknowledged and events it did not take, per second.",
            "reqps",
            query(f"sum({rate('orderflow_order_events_published_total', selector)})", "published"),
            query(f"sum({rate('orderflow_order_events_failed_total', selector)})", "failed"),
        ),
    ]


def inventory_panels(selector: str) -> list[Panel]:
    settle = f"sum by (le) ({rate('orderflow_inventory_settle_seconds_bucket', selector)})"
    return [
        graph(
            "Orders settled by outcome",
            "Orders reserved and rejected per second, by replica.",
            "reqps",
            query(
                f"sum by (instance, outcome) ({rate('orderflow_inventory_orders_settled_total', selector)})",
                "{{instance}} {{outcome}}",
            ),
        ),
        graph(
            "Accepted to outcome",
            "p50 and p99 from OrderCreated to its outcome.",
            "s",
            *p50_p99(settle),
        ),
        *transactional_panels(selector),
        *rpc_panels(selector),
    ]


def delivery_troubles(selector: str) -> str:
    """Failures, retries and parked notices as one series set told apart by an `event` label,
    with a zero "failed" line per sink that has delivered, so the panel draws 0 until trouble."""
    labelled = [
        f'label_replace({rate(metric, selector)}, "event", "{event}", "", "")'
        for metric, event in (
            ("orderflow_notification_failures_total", "failed"),
            ("orderflow_notification_retries_total", "retried"),
            ("orderflow_notifications_parked_total", "parked"),
        )
    ]
    sent = rate("orderflow_notifications_sent_total", selector)
    zero = f'label_replace({sent} * 0, "event", "failed", "", "")'
    return " or ".join([*labelled, zero])


def notify_panels(selector: str) -> list[Panel]:
    return [
        graph(
            "Notices delivered",
            "Notices sent per second, by sink and outcome.",
            "reqps",
            query(
                f"sum by (sink, outcome) ({rate('orderflow_notifications_sent_total', selector)})",
                "{{sink}} {{outcome}}",
            ),
        ),
        graph(
            "Failed, retried and parked",
            "Failed delivery attempts, deliveries scheduled again and notices given up, per second, by sink.",
            "reqps",
            query(
                f"sum by (sink, event) ({delivery_troubles(selector)})",
                "{{sink}} {{event}}",
            ),
        ),
        *checkpointed_panels(selector),
    ]


def aggregator_panels(selector: str) -> list[Panel]:
    return [
        graph(
            "Orders counted",
            "Orders counted into their window, and those that came after it closed, per second.",
            "reqps",
            query(f"sum({rate('orderflow_aggregator_orders_counted_total', selector)})", "counted"),
            query(f"sum({rate('orderflow_aggregator_late_orders_total', selector)})", "late"),
        ),
        graph(
            "Windows published",
            "Window values published on metrics.order.rate per second, running and final.",
            "reqps",
            query(
                f"sum by (final) ({rate('orderflow_aggregator_windows_published_total', selector)})",
                "final={{final}}",
            ),
        ),
        *transactional_panels(selector),
        *rpc_panels(selector),
    ]


def rest_guard_panels(selector: str) -> list[Panel]:
    return [
        graph(
            "REST bodies checked",
            "Bodies Envoy asked about per second, allowed on to transcoding or refused with a 400.",
            "reqps",
            query(
                f"sum by (verdict) ({rate('orderflow_rest_guard_checks_total', selector)})",
                "{{verdict}}",
            ),
        ),
    ]


SERVICES = (
    Service(
        "order_svc",
        "OrderService (CreateOrder, GetOrder, ListOrders) and its OrderCreated events.",
        order_panels,
    ),
    Service(
        "inventory_svc",
        "Both inventory replicas: orders settled, transactions, lag, stock RPCs.",
        inventory_panels,
    ),
    Service(
        "projector", "The read models in Postgres: records applied and batch writes.", checkpointed_panels
    ),
    Service(
        "notify_svc", "Notices: deliveries per sink, failures, retries and parked notices.", notify_panels
    ),
    Service(
        "aggregator", "Orders per minute: orders counted, late orders, windows published.", aggregator_panels
    ),
    Service(
        "rest_guard", "Envoy's strict-JSON check of REST bodies: allowed and refused.", rest_guard_panels
    ),
)

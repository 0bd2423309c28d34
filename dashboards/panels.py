"""The pieces every dashboard is built from: the datasource, queries and the panel kinds used."""

from __future__ import annotations

from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import DatasourceVariable, QueryVariable
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

# Panels ask the datasource the `datasource` variable names, so an imported dashboard works
# with whatever Prometheus datasource the Grafana has.
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
# Grafana's own window for rate(): at least four scrape intervals, widened with the zoom.
RATE = "$__rate_interval"
CREATE_ORDER = "/orderflow.order.v1.OrderService/CreateOrder"


def datasource_variable() -> DatasourceVariable:
    return DatasourceVariable("datasource").label("Prometheus").type("prometheus")


def label_variable(name: str, label: str, selector: str) -> QueryVariable:
    """A multi-value variable over a label's values among the series the selector matches,
    All selected when the dashboard opens."""
    return (
        QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(f"label_values({selector}, {name})")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.NATURAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text=["All"], value=["$__all"]))
    )


def query(expr: str, legend: str = "", ref_id: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend or "__auto").ref_id(ref_id)


def graph(title: str, description: str, unit: str, *queries: prometheus.Dataquery) -> timeseries.Panel:
    """A time series panel, one line per series of each query, legend as a table below."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(12)
        .height(8)
        .fill_opacity(10)
        .legend(
            VizLegendOptions()
            .display_mode(LegendDisplayMode.TABLE)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
    )
    for ref_id, target in zip("ABCDEFGH", queries, strict=False):
        panel = panel.with_target(target.ref_id(ref_id))
    return panel


def single(title: str, description: str, unit: str, target: prometheus.Dataquery) -> stat.Panel:
    """One number (the last value) with its sparkline, six to a row."""
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(4)
        .height(4)
        .with_target(target)
    )


def rate(metric: str, selector: str = "") -> str:
    """Per-second rate of a counter (or histogram bucket) over Grafana's rate window."""
    matchers = f"{{{selector}}}" if selector else ""
    return f"rate({metric}{matchers}[{RATE}])"


def p50_p99(buckets: str) -> tuple[prometheus.Dataquery, prometheus.Dataquery]:
    """The median and the 99th percentile of a histogram, given its buckets' rates summed by le."""
    return (
        query(f"histogram_quantile(0.5, {buckets})", "p50"),
        query(f"histogram_quantile(0.99, {buckets})", "p99"),
    )

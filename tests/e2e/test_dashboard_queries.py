"""Every query of every dashboard, asked of the stack's Prometheus after a few orders, returns
series: a renamed metric or a broken expression fails here, not on someone's screen."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from dashboards.build import JSON_DIR
from orderflow_platform.kafka import clients
from orderflow_platform.settings import Settings
from tests.e2e.test_order_to_mail import ENVOY, place
from tests.integration.helpers import eventually

PROMETHEUS = "http://127.0.0.1:9090"
# Grafana's $__rate_interval: wide enough to hold this test's traffic and two scrapes of it.
RATE_INTERVAL = "5m"
# Series that first appear with this test's orders wait for them to settle and be notified of
# (behind whatever else the shared stack is doing), then for two scrapes before rate() answers.
QUERY_DEADLINE_SECONDS = 240.0
# Label names, keywords and functions are not metric names; metric names are what is left of an
# expression without its strings, matchers, ranges and label lists.
NOT_METRICS = re.compile(
    r'"(?:[^"\\]|\\.)*"|\{[^}]*\}|\[[^\]]*\]'
    r"|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"
)
NAME = re.compile(r"\b([A-Za-z_:][\w:]*)\b(?!\s*\()")
KEYWORDS = {"and", "or", "unless", "bool", "offset"}
# prometheus_client's families are listed by Prometheus's metadata without these suffixes.
SAMPLE_SUFFIXES = re.compile(r"_(total|bucket|count|sum|created)$")


@dataclass(frozen=True)
class Target:
    dashboard: str
    panel: str
    expr: str


def targets() -> Iterator[Target]:
    """Every query of every panel, each template variable set to All as the dashboard opens
    (each variable's own query must find values too)."""
    for path in sorted(JSON_DIR.glob("*.json")):
        model = json.loads(path.read_text())
        binding = {}
        for variable in model["templating"]["list"]:
            if variable["type"] == "query":
                assert label_values(variable["query"]), f"{model['uid']}: ${variable['name']} has no values"
                binding[variable["name"]] = variable["allValue"]
        for panel in model["panels"]:
            for target in panel.get("targets", []):
                yield Target(model["uid"], panel["title"], substitute(target["expr"], binding))


def substitute(expr: str, binding: dict[str, str]) -> str:
    expr = expr.replace("$__rate_interval", RATE_INTERVAL)
    for name, value in binding.items():
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    assert "$" not in expr, f"a variable this test does not know: {expr}"
    return expr


def label_values(query: str) -> list[str]:
    """Grafana's label_values(selector, label), asked of Prometheus's series API."""
    found = re.fullmatch(r"label_values\((.*), (\w+)\)", query)
    assert found, f"not a label_values() query: {query}"
    selector, label = found.groups()
    series = prometheus("/api/v1/series", {"match[]": selector})
    return sorted({s[label] for s in series if label in s})


def prometheus(path: str, params: dict[str, str] | None = None) -> Any:
    response = httpx.get(f"{PROMETHEUS}{path}", params=params, timeout=30)
    body = response.json()
    assert body["status"] == "success", f"{path} {params}: {body.get('error')}"
    return body["data"]


def metric_names(expr: str) -> set[str]:
    return {name for name in NAME.findall(NOT_METRICS.sub(" ", expr)) if name not in KEYWORDS}


def all_targets_up() -> bool:
    active = prometheus("/api/v1/targets")["activeTargets"]
    return bool(active) and all(t["health"] == "up" for t in active)


@pytest.fixture(scope="module")
def traffic(stack: None, settings: Settings) -> None:
    """Orders confirmed and rejected through Envoy, a refused one, an unknown order asked for,
    and a record no consumer can read: every kind of series the dashboards draw."""
    unique = uuid.uuid4().hex[:12]
    eventually(lambda: httpx.get(f"{PROMETHEUS}/-/ready", timeout=5).status_code == 200, 120, every=1)
    eventually(all_targets_up, 180, every=2)
    sku = f"D{unique.upper()}"
    # Setting stock is idempotent: asked again while a loaded inventory answers 503 or 504.
    eventually(
        lambda: httpx.put(f"{ENVOY}/v1/inventory/{sku}", json={"quantity": 2}, timeout=30).status_code == 200,
        180,
        every=1,
    )
    place(f"dash-ok-{unique}", sku, 2)
    place(f"dash-short-{unique}", sku, 1)
    refused = httpx.post(f"{ENVOY}/v1/orders", json={"user_id": "", "items": []}, timeout=15)
    assert refused.status_code == 400, refused.text
    assert httpx.get(f"{ENVOY}/v1/orders/{uuid.uuid4()}", timeout=15).status_code == 404
    producer = clients.producer(settings.kafka)
    producer.produce("orders.created", b"\xffnot an event at all", f"dash-poison-{unique}".encode())
    assert producer.flush(30) == 0


def test_every_dashboard_query_returns_series(traffic: None) -> None:
    queries = list(targets())
    assert queries
    pending = {q.expr: q for q in queries}
    errors: dict[str, str] = {}
    deadline = time.monotonic() + QUERY_DEADLINE_SECONDS
    while pending and time.monotonic() < deadline:
        for expr in list(pending):
            response = httpx.get(f"{PROMETHEUS}/api/v1/query", params={"query": expr}, timeout=30).json()
            if response["status"] != "success":
                errors[expr] = response["error"]
                del pending[expr]
            elif response["data"]["result"]:
                del pending[expr]
        if pending:
            time.sleep(2)
    failures = [f"{q.dashboard} / {q.panel}: {errors[q.expr]}: {q.expr}" for q in queries if q.expr in errors]
    failures += [f"{q.dashboard} / {q.panel}: no series: {q.expr}" for q in pending.values()]
    assert not failures, "\n".join(failures)


def test_every_metric_a_dashboard_names_is_known_to_prometheus(traffic: None) -> None:
    """Catches a misspelt name in a branch of an `or` that the series check cannot see."""
    series = set(prometheus("/api/v1/label/__name__/values"))
    families = set(prometheus("/api/v1/metadata"))
    unknown = sorted(
        {
            f"{q.dashboard}: {name}"
            for q in targets()
            for name in metric_names(q.expr)
            if name not in series and SAMPLE_SUFFIXES.sub("", name) not in families
        }
    )
    assert not unknown, unknown

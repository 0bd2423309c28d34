"""Envoy's REST routes are the services' google.api.http rules, each with its method: every
rule reaches its service, every other method on its path is a 405 naming the rule's methods,
and a path no rule has is a 404. Routes are matched here as Envoy matches them: the first
whose path and method headers fit."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest
import yaml
from google.api import annotations_pb2
from orderflow.inventory.v1 import inventory_service_pb2
from orderflow.metrics.v1 import metrics_service_pb2
from orderflow.order.v1 import order_service_pb2

from devstack.spec import ROOT

CONFIG: dict[str, Any] = yaml.safe_load((ROOT / "envoy" / "envoy.yaml").read_text())
ROUTES: list[dict[str, Any]] = CONFIG["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0][
    "typed_config"
]["route_config"]["virtual_hosts"][0]["routes"]
SERVICES = [
    order_service_pb2.DESCRIPTOR.services_by_name["OrderService"],
    inventory_service_pb2.DESCRIPTOR.services_by_name["InventoryService"],
    metrics_service_pb2.DESCRIPTOR.services_by_name["MetricsService"],
]
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")


def rules() -> dict[str, set[str]]:
    """An example path of each http rule's template -> the methods it has."""
    found: dict[str, set[str]] = defaultdict(set)
    for service in SERVICES:
        for method in service.methods:
            rule = method.GetOptions().Extensions[annotations_pb2.http]
            verb = rule.WhichOneof("pattern")
            found[re.sub(r"\{[^}]+\}", "X-1", getattr(rule, verb))].add(verb.upper())
    return found


def route_for(path: str, method: str) -> dict[str, Any]:
    for route in ROUTES:
        match = route["match"]
        fits = (
            ("prefix" in match and path.startswith(match["prefix"]))
            or match.get("path") == path
            or ("safe_regex" in match and re.fullmatch(match["safe_regex"]["regex"], path) is not None)
        )
        wanted = [h["string_match"]["exact"] for h in match.get("headers", []) if h["name"] == ":method"]
        if fits and all(method == w for w in wanted):
            return route
    raise AssertionError(f"no route for {method} {path}: Envoy's own 404")


@pytest.mark.parametrize(("path", "methods"), sorted(rules().items()))
def test_each_rule_is_routed_and_every_other_method_is_405_with_allow(path: str, methods: set[str]) -> None:
    for method in METHODS:
        route = route_for(path, method)
        if method in methods:
            assert "route" in route, (method, path)
        else:
            assert route["direct_response"]["status"] == 405, (method, path)
            allow = route["response_headers_to_add"][0]["header"]
            assert allow["key"] == "allow"
            assert set(allow["value"].split(", ")) == methods
            assert route["direct_response"]["body"]["inline_string"] == allow["value"]


@pytest.mark.parametrize("path", ["/v1/nothing", "/v1/ordersx", "/v1/orders/X-1/lines", "/v1/inventory/"])
def test_a_path_no_rule_has_is_404(path: str) -> None:
    assert route_for(path, "GET")["direct_response"] == {"status": 404}

"""An order placed over REST shows in its minute's window: through Envoy, the CLI and the
aggregator's /metrics. Other traffic shares the minute, so counts are compared as at least."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.helpers import eventually

ENVOY = "http://127.0.0.1:8080"
AGGREGATOR_METRICS = "http://127.0.0.1:9107/metrics"


def counted() -> float:
    families = text_string_to_metric_families(httpx.get(AGGREGATOR_METRICS, timeout=5).text)
    return sum(
        s.value for f in families for s in f.samples if s.name == "orderflow_aggregator_orders_counted_total"
    )


def this_minute() -> str:
    return datetime.now(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_of(minutes: set[str]) -> dict[str, object] | None:
    reply = httpx.get(f"{ENVOY}/v1/metrics/order-rate", params={"minutes": 3}, timeout=10)
    assert reply.status_code == 200, reply.text
    windows: list[dict[str, object]] = reply.json()["windows"]
    return next((w for w in windows if w["window_start"] in minutes), None)


def test_an_order_placed_over_rest_is_counted_in_its_minute(unique: str) -> None:
    before = counted()
    body = {
        "user_id": f"rate-{unique}",
        "items": [{"sku": "SKU-1", "quantity": 1, "unit_price_cents": 300}],
        "total_cents": 300,
        "currency": "EUR",
    }
    # The order's minute is one of these two, should the minute turn during the call.
    first = this_minute()
    created = httpx.post(f"{ENVOY}/v1/orders", json=body, timeout=15)
    assert created.status_code == 200, created.text
    minutes = {first, this_minute()}
    eventually(lambda: counted() > before, 30)

    def with_euros() -> dict[str, object] | None:
        # The window may already have been published for other orders of the minute; this
        # one shows once its euros do (a window goes out at most once a second).
        window = window_of(minutes)
        currencies: list[dict[str, object]] = window["currencies"] if window else []  # type: ignore[assignment]
        return window if any(c["currency"] == "EUR" for c in currencies) else None

    window = eventually(with_euros, 30)
    assert int(str(window["order_count"])) >= 1
    assert window["window_seconds"] == 60
    cli = subprocess.run(
        [sys.executable, "-m", "orderflow_ops.cli", "metrics", "rate", "--minutes", "3"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert str(window["window_start"]) in cli.stdout


def test_order_rate_refuses_bad_minutes_and_other_methods() -> None:
    bad = httpx.get(f"{ENVOY}/v1/metrics/order-rate", params={"minutes": 0}, timeout=10)
    assert bad.status_code == 400 and "minutes" in bad.json()["message"]
    wrong = httpx.post(f"{ENVOY}/v1/metrics/order-rate", timeout=10)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"

"""Each service's /metrics shows the work it did, as Prometheus will scrape it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually
from tests.integration.inventory_helpers import Inventory, expect_stock

INVENTORY_METRICS = ("http://127.0.0.1:9102/metrics", "http://127.0.0.1:9105/metrics")
NOTIFY_METRICS = "http://127.0.0.1:9103/metrics"


@pytest.fixture
def inventory(settings: Settings) -> Iterator[Inventory]:
    client = Inventory(settings)
    yield client
    client.close()


def total(urls: tuple[str, ...], name: str, **labels: str) -> float:
    """The sample summed over the processes (each replica counts its own work)."""
    found = 0.0
    for url in urls:
        for family in text_string_to_metric_families(httpx.get(url, timeout=5).text):
            found += sum(
                s.value for s in family.samples if s.name == name and labels.items() <= s.labels.items()
            )
    return found


def test_settling_an_order_shows_in_inventory_and_notify_metrics(inventory: Inventory, unique: str) -> None:
    sku = f"P{unique.upper()}"
    inventory.set_stock(sku, 3)
    settled_before = total(INVENTORY_METRICS, "orderflow_inventory_orders_settled_total", outcome="reserved")
    mails_before = total((NOTIFY_METRICS,), "orderflow_notifications_sent_total", sink="email")
    order = inventory.place(f"u-{unique}", (sku, 1))
    inventory.settle([order])
    expect_stock(inventory, sku, on_hand=3, reserved=1)
    assert (
        total(INVENTORY_METRICS, "orderflow_inventory_orders_settled_total", outcome="reserved")
        > settled_before
    )
    assert total(INVENTORY_METRICS, "orderflow_kafka_transactions_total", result="committed") > 0
    assert total(INVENTORY_METRICS, "orderflow_state_rebuild_seconds_count") > 0
    eventually(
        lambda: total((NOTIFY_METRICS,), "orderflow_notifications_sent_total", sink="email") > mails_before,
        60,
    )

"""Alerts end to end: a stalled consumer under traffic fires an alert at Prometheus, which
reaches Alertmanager, and both let it go once the consumer runs again."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.helpers import eventually
from tests.integration.inventory_helpers import pid

ENVOY = "http://127.0.0.1:8080"
PROMETHEUS = "http://127.0.0.1:9090"
ALERTMANAGER = "http://127.0.0.1:9093"
ALERT = "ConsumerStalled"
# The rule looks 30 s back for a moved position, then holds for its `for` of 30 s; scrapes,
# evaluations and a loaded machine get another minute.
FIRES_WITHIN_SECONDS = 30 + 30 + 60
# Prometheus sends a firing alert on its next evaluation; Alertmanager's group_wait is 5 s.
REACHES_ALERTMANAGER_WITHIN_SECONDS = 60
RESOLVES_WITHIN_SECONDS = 120


def firing_at_prometheus(group: str) -> bool:
    alerts = httpx.get(f"{PROMETHEUS}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return any(
        a["labels"].get("alertname") == ALERT and a["labels"].get("group") == group and a["state"] == "firing"
        for a in alerts
    )


def active_at_alertmanager(group: str) -> bool:
    # Resolved alerts are left out of /api/v2/alerts.
    filters = [f'alertname="{ALERT}"', f'group="{group}"']
    alerts = httpx.get(f"{ALERTMANAGER}/api/v2/alerts", params={"filter": filters}, timeout=10).json()
    return any(a["status"]["state"] == "active" for a in alerts)


@pytest.fixture
def traffic(unique: str) -> Iterator[None]:
    """Orders through Envoy, a few per second, for as long as the test runs."""
    sku = f"AL{unique.upper()}"
    assert httpx.put(f"{ENVOY}/v1/inventory/{sku}", json={"quantity": 100_000}, timeout=30).status_code == 200
    stop = threading.Event()

    def place_orders() -> None:
        with httpx.Client(timeout=15) as client:
            n = 0
            while not stop.wait(0.2):
                n += 1
                body = {
                    "user_id": f"alert-{unique}-{n % 12}",
                    "items": [{"sku": sku, "quantity": 1, "unit_price_cents": 100}],
                    "total_cents": 100,
                }
                client.post(f"{ENVOY}/v1/orders", json=body)

    placing = threading.Thread(target=place_orders, name="alert-traffic")
    placing.start()
    yield
    stop.set()
    placing.join()


# Its waits' deadlines add up to more than the suite's default timeout of 300 s.
@pytest.mark.timeout(600)
def test_a_stopped_projector_fires_an_alert_that_reaches_alertmanager_and_resolves(traffic: None) -> None:
    eventually(lambda: not firing_at_prometheus("projector"), RESOLVES_WITHIN_SECONDS, every=1.0)
    projector = pid("projector")
    os.kill(projector, signal.SIGSTOP)
    try:
        eventually(lambda: firing_at_prometheus("projector"), FIRES_WITHIN_SECONDS, every=1.0)
        eventually(
            lambda: active_at_alertmanager("projector"), REACHES_ALERTMANAGER_WITHIN_SECONDS, every=1.0
        )
        # Only the stopped consumer: the others go on under the same traffic.
        assert not firing_at_prometheus("notify_svc")
    finally:
        os.kill(projector, signal.SIGCONT)
    eventually(lambda: not firing_at_prometheus("projector"), RESOLVES_WITHIN_SECONDS, every=1.0)
    eventually(lambda: not active_at_alertmanager("projector"), RESOLVES_WITHIN_SECONDS, every=1.0)

"""Concurrent REST clients creating orders through Envoy, counting answers by HTTP status.

Each client is a thread with its own keep-alive connection, as separate callers would be.
Run by hand for the figures (`.venv/bin/python -m tests.e2e.rest_load 4 8 16 32 64`), and by
test_rest_concurrency.py for the bar.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

ENVOY = "http://127.0.0.1:8080"
ITEM = {"sku": "SKU-1", "quantity": 1, "unit_price_cents": 250}


def create_orders(clients: int, orders: int) -> Counter[int]:
    """`orders` CreateOrder calls spread over `clients` concurrent callers; status -> count.
    A call that gets no answer at all counts as 0."""
    run = uuid.uuid4().hex[:8]

    def client(number: int) -> Counter[int]:
        statuses: Counter[int] = Counter()
        body = {"user_id": f"load-{run}-{number}", "items": [ITEM], "total_cents": 250}
        with httpx.Client(base_url=ENVOY, timeout=30) as http:
            for _ in range(number, orders, clients):
                try:
                    statuses[http.post("/v1/orders", json=body).status_code] += 1
                except httpx.TransportError:
                    statuses[0] += 1
        return statuses

    with ThreadPoolExecutor(clients) as pool:
        return sum(pool.map(client, range(clients)), Counter())


def main(levels: list[int], orders: int = 600) -> None:
    for clients in levels:
        started = time.monotonic()
        statuses = create_orders(clients, orders)
        elapsed = time.monotonic() - started
        failed = sum(n for status, n in statuses.items() if status == 0 or status >= 500)
        print(
            f"{clients:3} clients, {orders} orders: {failed} 5xx or unanswered, "
            f"{orders / elapsed:6.0f} orders/s, statuses {dict(sorted(statuses.items()))}"
        )


if __name__ == "__main__":
    main([int(level) for level in sys.argv[1:]] or [4, 8, 16, 32, 64])

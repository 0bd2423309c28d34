"""CreateOrder load with ghz against the running stack: throughput and latency percentiles.

    .venv/bin/python -m bench.create_order                 # direct to order_svc and through Envoy
    .venv/bin/python -m bench.create_order --total 20000 --concurrency 100 --targets direct

Each request is a distinct order with its own idempotency key (the realistic path: one
Postgres claim and one acks=all append per order).
"""

from __future__ import annotations

import argparse
import json
import subprocess
from typing import Any

from devstack.spec import ROOT

GHZ = str(ROOT / "var" / "bin" / "ghz")
CALL = "orderflow.order.v1.OrderService/CreateOrder"
TARGETS = {"direct": "127.0.0.1:50051", "envoy": "127.0.0.1:8080"}
BODY = {
    "user_id": "bench-{{.WorkerID}}",
    "items": [{"sku": "SKU-1", "quantity": 1, "unit_price_cents": 100}],
    "total_cents": 100,
    "idempotency_key": "{{.UUID}}",
}


def ghz_report(
    address: str, total: int, concurrency: int, rate: int, body: dict[str, Any] = BODY
) -> dict[str, Any]:
    """ghz's whole JSON report: the summary and each request's latency in `details`."""
    command = [
        GHZ,
        "--insecure",
        # Python's reflection service does not resolve method symbols, which ghz asks for.
        "--protoset",
        # Built from proto/ by Envoy's prepare step whenever the stack starts.
        str(ROOT / "var" / "envoy" / "descriptors.binpb"),
        "--call",
        CALL,
        "--data",
        json.dumps(body),
        "--total",
        str(total),
        "--concurrency",
        str(concurrency),
        "--connections",
        "4",
        "--timeout",
        "10s",
        "--format",
        "json",
        address,
    ]
    if rate:
        command += ["--rps", str(rate)]
    report: dict[str, Any] = json.loads(
        subprocess.run(command, capture_output=True, text=True, check=True).stdout
    )
    return report


def run(address: str, total: int, concurrency: int, rate: int) -> dict[str, float]:
    report = ghz_report(address, total, concurrency, rate)
    percentiles = {p["percentage"]: p["latency"] / 1e6 for p in report["latencyDistribution"] or []}
    return {
        "requests": report["count"],
        "errors": sum(report.get("errorDistribution", {}).values()) if report.get("errorDistribution") else 0,
        "rps": report["rps"],
        "p50_ms": percentiles.get(50, float("nan")),
        "p99_ms": percentiles.get(99, float("nan")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", nargs="+", choices=sorted(TARGETS), default=["direct", "envoy"])
    parser.add_argument("--total", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rps", type=int, default=0, help="fixed rate; 0 = as fast as it goes")
    args = parser.parse_args()
    print(f"{'target':<8} {'requests':>8} {'errors':>6} {'orders/s':>9} {'p50 ms':>7} {'p99 ms':>7}")
    for target in args.targets:
        r = run(TARGETS[target], args.total, args.concurrency, args.rps)
        print(
            f"{target:<8} {r['requests']:>8.0f} {r['errors']:>6.0f} {r['rps']:>9.0f} "
            f"{r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f}"
        )


if __name__ == "__main__":
    main()

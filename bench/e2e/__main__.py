"""`python -m bench.e2e`: the end-to-end benchmark of the running stack.

    .venv/bin/python -m bench.e2e                      # limits, saturation, 200/500/1,000 per s for 30 s
    .venv/bin/python -m bench.e2e --rates 500 --seconds 10 --orders 5000
    .venv/bin/python -m bench.e2e --quick              # a smoke: small counts, one fixed rate

First the machine's own limits (a raw acks=all producer; a bare grpc.aio server under the
same ghz load), then CreateOrder with ghz, 50 concurrent: a warm-up of --warmup orders
(not reported), a saturation run of --orders, then each of --rates for --seconds. After
each run it waits until every accepted order has its outcome, its read model and its mail
(the drain) before the next. Last, replay into empty read models (bench.projection's). It
prints the issue's table and writes var/reports/<timestamp>/report.md with its plots.

Orders are real: users and SKUs of the run's own, stocked for every order, so each one is
confirmed and mailed. The stack is shared: the report says how busy the machine was.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import grpc
from orderflow.inventory.v1 import inventory_service_pb2 as inventory_pb
from orderflow.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc

from bench.e2e import limits, report, runs, table
from bench.e2e.stats import STAGES, ceiling_note, stage_figures
from bench.projection import bench_replay
from devstack.spec import VAR
from orderflow_platform.settings import Settings, load_settings
from tests.integration.inventory_helpers import REPLICAS

REPORTS = VAR / "reports"
SKUS = 20
STOCK_SECONDS = 600.0
RETRIED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
WARMUP = "warm-up (not reported)"


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.e2e", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=10_000, help="orders of the saturation run")
    # 5,000 left the broker cold for the saturation run: 461 orders/s at 4.1 ms of CPU each,
    # against 795/s at 2.4 ms on the same stack once warm (2026-11-26, README Benchmarks).
    parser.add_argument(
        "--warmup",
        type=int,
        default=30_000,
        help="orders sent as fast as they go before the measured runs, not reported",
    )
    parser.add_argument(
        "--rates", type=int, nargs="*", default=[200, 500, 1000], help="fixed rates, orders/s"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each fixed-rate run")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--via", choices=["direct", "envoy"], default="direct", help="order_svc itself or Envoy"
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="records of the raw producer limit")
    parser.add_argument("--bare-calls", type=int, default=50_000, help="calls to the bare gRPC server")
    parser.add_argument("--drain-seconds", type=float, default=600.0, help="how long a run may take to drain")
    parser.add_argument("--no-replay", action="store_true", help="leave the replay figure out")
    parser.add_argument("--out", type=Path, help="the report folder (default var/reports/<timestamp>)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke: small counts, one fixed rate, no replay"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.orders, args.rates, args.seconds, args.warmup = 300, [100], 3.0, 0
        args.records, args.bare_calls, args.drain_seconds, args.no_replay = 20_000, 2_000, 300.0, True
    return args


def _stock(sku_prefix: str, quantity: int) -> None:
    """Every SKU of the run stocked for all its orders: each order is confirmed."""
    runs.wait_for_pipeline()
    with grpc.insecure_channel(REPLICAS["inventory_svc-1"]) as channel:
        stub = inventory_grpc.InventoryServiceStub(channel)
        for i in range(SKUS):
            request = inventory_pb.SetStockRequest(sku=f"{sku_prefix}{i}", quantity=quantity)
            deadline = time.monotonic() + STOCK_SECONDS
            while True:
                try:
                    stub.SetStock(request, timeout=60, wait_for_ready=True)
                    break
                except grpc.RpcError as error:
                    # A busy inventory answers UNAVAILABLE once its own wait is over, or not
                    # within the call's deadline; setting the same quantity again is harmless.
                    if error.code() not in RETRIED or time.monotonic() > deadline:
                        raise


def _load_runs(settings: Settings, args: argparse.Namespace) -> list[runs.Run]:
    """The measured runs, after the warm-up: on a freshly started stack the broker's and the
    Connect worker's JVMs spend the first minutes compiling their hot paths (C2 took a
    minute of CPU in the broker's first twenty), which no later order pays."""
    warmup = [(WARMUP, 0, args.warmup)] if args.warmup else []
    plan = [(f"saturation, {args.orders:,} orders", 0, args.orders)]
    plan += [(f"{rate}/s for {args.seconds:.0f} s", rate, round(rate * args.seconds)) for rate in args.rates]
    sku_prefix = f"E{uuid.uuid4().hex[:8].upper()}-"
    _stock(sku_prefix, sum(total for _label, _rate, total in warmup + plan))
    done = []
    for label, rate, total in warmup + plan:
        print(f"run: {label}", flush=True)
        done.append(
            runs.run(
                settings,
                label=label,
                sku_prefix=sku_prefix,
                skus=SKUS,
                total=total,
                concurrency=args.concurrency,
                rate=rate,
                target=args.via,
                drain_seconds=args.drain_seconds,
            )
        )
        print("  " + _summary(done[-1]), flush=True)
    return [run for run in done if run.label != WARMUP]


def _summary(run: runs.Run) -> str:
    """A run's stages on one line, printed as it ends, so a long bench shows its progress."""
    figures = [stage_figures(run, stage) for stage in STAGES]
    restarted = f"; restarted meanwhile: {', '.join(run.restarted)}" if run.restarted else ""
    return (
        f"{run.ok:,} orders, {run.errors} errors; "
        + "; ".join(f"{f.stage}: {f.per_second:,.0f}/s, p99 {f.p99_ms:,.1f} ms" for f in figures)
        + restarted
    )


def main(argv: list[str] | None = None) -> Path:
    argv = sys.argv[1:] if argv is None else argv
    args = _arguments(argv)
    settings = load_settings()
    started = datetime.now(UTC)
    folder = args.out or REPORTS / started.strftime("%Y%m%dT%H%M%SZ")
    print("limit: raw producer", flush=True)
    producer = limits.raw_producer(settings, args.records)
    print(f"  {producer:,.0f} msg/s", flush=True)
    print("limit: bare grpc.aio server", flush=True)
    bare = limits.bare_grpc(args.bare_calls, args.concurrency, runs.order_body("bare-", "BARE-", SKUS))
    print(f"  {bare.get('rps', 0.0):,.0f}/s", flush=True)
    load = _load_runs(settings, args)
    replay = None
    if not args.no_replay:
        print("replay into empty read models", flush=True)
        replayed = bench_replay(settings)
        replay = (replayed.events + replayed.skipped) / replayed.seconds
    fixed = next((run for run in load if run.rate == 500), next((run for run in load if run.rate), None))
    bare_per_second = float(bare.get("rps", 0.0))
    rendered = table.markdown(table.rows(table.Limits(producer, bare_per_second), load[0], fixed, replay))
    notes = [f"bare gRPC server: {bare.get('count', 0):,} calls, p99 {_p99_ms(bare):.1f} ms"]
    ceiling = ceiling_note(load[0], os.cpu_count() or 1, bare_per_second)
    notes.append(ceiling)
    if args.warmup:
        notes.append(f"warm-up: {args.warmup:,} orders as fast as they go before the runs, not reported")
    path = report.write(
        folder,
        command=shlex.join(["python", "-m", "bench.e2e", *argv]),
        started=started.strftime("%Y-%m-%d %H:%M UTC"),
        table=rendered,
        runs=load,
        notes=notes,
    )
    print(rendered)
    print(ceiling)
    print(f"report: {path}")
    return path


def _p99_ms(ghz: dict[str, object]) -> float:
    distribution = ghz.get("latencyDistribution") or []
    assert isinstance(distribution, list)
    return next((p["latency"] / 1e6 for p in distribution if p["percentage"] == 99), float("nan"))


if __name__ == "__main__":
    main()

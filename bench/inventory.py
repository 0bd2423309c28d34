"""Inventory benchmarks against the running stack.

    .venv/bin/python -m bench.inventory settle --orders 5000 --replicas 2
    .venv/bin/python -m bench.inventory settle --orders 5000 --replicas 1   # stops replica 2 meanwhile
    .venv/bin/python -m bench.inventory rebuild --skus 10000
    .venv/bin/python -m bench.inventory heap --orders 500000

settle: OrderCreated events are appended straight onto orders.created (as order_svc
would; this measures inventory, not intake), each one line on one of 200 SKUs stocked
for all of them, and the clock runs from the first append to the last outcome read.

rebuild: 10,000 SKUs are stocked, then one replica's worth of state (every partition) is
rebuilt from the changelogs in-process, as a replica does on assignment.

heap: no stack needed. A replica's state settles that many two-line orders in place,
then one full garbage collection is timed: what a long-running replica's collector walks.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import uuid
from datetime import UTC, datetime

import grpc
from confluent_kafka import TopicPartition
from orderflow.inventory.v1.events_pb2 import SetOnHand, StockCommand

from devstack import control
from inventory_svc import handlers
from inventory_svc.adapters.events import COMMANDS, ORDERS
from inventory_svc.domain.commands import SetOnHand as SetOnHandCommand
from inventory_svc.domain.saga import PlacedOrder, lines_by_sku
from inventory_svc.entrypoints.stream import MESSAGE_TYPES, InventoryProcessor
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings, load_settings
from orderflow_platform.stream.codecs import TopicCodecs
from tests.integration.inventory_helpers import Inventory

PARTITIONS = range(6)


def stock_commands(settings: Settings, skus: list[str], quantity: int) -> None:
    """SetOnHand straight onto inventory.commands (faster than a gRPC call per SKU)."""
    codec = ProtobufCodec(clients.registry_client(settings.registry), StockCommand)
    producer = clients.producer(settings.kafka, partitioner="murmur2_random")
    for sku in skus:
        command = StockCommand(sku=sku, set_on_hand=SetOnHand(request_id=uuid.uuid4().hex, quantity=quantity))
        producer.produce(COMMANDS, key=sku.encode(), value=codec.encode(COMMANDS, command))
        producer.poll(0)
    assert producer.flush(60) == 0


def settle(settings: Settings, orders: int, replicas: int) -> None:
    run = uuid.uuid4().hex[:8].upper()
    catalogue = [f"B{run}-{i}" for i in range(200)]
    if replicas == 1:
        control.stop("inventory_svc-2")
    try:
        inventory = Inventory(settings)
        for sku in catalogue[:-1]:
            inventory.set_stock(sku, orders)
        inventory.set_stock(catalogue[-1], orders)  # answered once applied: all are in
        started = time.perf_counter()
        placed = [inventory.place(f"bench-{i % 500}", (catalogue[i % 200], 1)) for i in range(orders)]
        inventory.settle(placed, deadline_seconds=600)
        elapsed = time.perf_counter() - started
        inventory.close()
    finally:
        if replicas == 1:
            control.up(["inventory_svc-2"])
    rate = orders / elapsed
    print(f"settle: {orders} orders, {replicas} replica(s): {elapsed:.2f}s = {rate:,.0f} orders/s")


def rebuild(settings: Settings, skus: int) -> None:
    run = uuid.uuid4().hex[:8].upper()
    catalogue = [f"R{run}-{i}" for i in range(skus)]
    stock_commands(settings, catalogue, 10)
    inventory = Inventory(settings)
    inventory.set_stock(catalogue[-1], 10)  # applied after every command before it in its partition
    last_partition_done = time.monotonic() + 120
    while any(_missing(inventory, sku) for sku in catalogue[:: max(skus // 50, 1)]):
        assert time.monotonic() < last_partition_done, "stock commands were not applied in time"
    inventory.close()
    codecs = TopicCodecs(clients.registry_client(settings.registry), True, MESSAGE_TYPES)
    processor = InventoryProcessor(settings.kafka, codecs)
    started = time.perf_counter()
    processor.load([TopicPartition(t, p) for t in (ORDERS, COMMANDS) for p in PARTITIONS])()
    elapsed = time.perf_counter() - started
    state = processor.state
    print(
        f"rebuild: {len(state.stock):,} SKUs, {len(state.sagas):,} open sagas and "
        f"{len(state.settled):,} settled orders (the whole changelogs, "
        f"including this run's {skus:,} SKUs) in {elapsed:.2f}s"
    )


def heap(orders: int) -> None:
    state = handlers.InventoryState()
    for sku in ("A", "B"):
        handlers.apply_command(SetOnHandCommand(sku, f"set-{sku}", orders * 3), state)
    started = time.perf_counter()
    for i in range(orders):
        lines = lines_by_sku([("A", 1), ("B", 2)])
        order = PlacedOrder(f"{i:032x}", f"user-{i % 500}", lines, 300, datetime.now(UTC))
        handlers.place_order(order, 0, state, lambda _sku: state)
    settled = time.perf_counter() - started
    started = time.perf_counter()
    gc.collect()
    collected = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"heap: {orders:,} orders settled in {settled:.1f}s; one full collection {collected * 1000:,.0f} ms "
        f"over {len(gc.get_objects()):,} tracked objects; peak RSS {peak_mb:,.0f} MB"
    )


def _missing(inventory: Inventory, sku: str) -> bool:
    try:
        inventory.stock(sku)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error  # until the owner applied it
        return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="bench", required=True)
    settle_args = commands.add_parser("settle")
    settle_args.add_argument("--orders", type=int, default=5000)
    settle_args.add_argument("--replicas", type=int, choices=[1, 2], default=2)
    rebuild_args = commands.add_parser("rebuild")
    rebuild_args.add_argument("--skus", type=int, default=10_000)
    heap_args = commands.add_parser("heap")
    heap_args.add_argument("--orders", type=int, default=500_000)
    args = parser.parse_args()
    if args.bench == "heap":
        heap(args.orders)
        return
    settings = load_settings()
    if args.bench == "settle":
        settle(settings, args.orders, args.replicas)
    else:
        rebuild(settings, args.skus)


if __name__ == "__main__":
    main()

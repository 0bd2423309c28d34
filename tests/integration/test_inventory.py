"""The inventory replicas of the running stack: the saga, ordering, DLQ, faults, rebuild."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import httpx
import pytest
from confluent_kafka import TopicPartition
from orderflow.inventory.v1 import events_pb2 as inv
from orderflow.order.v1.events_pb2 import OrderCreated

from devstack import control
from inventory_svc import handlers
from inventory_svc.adapters.events import COMMANDS, FAILED, ORDERS, PROGRESS, RESERVED, timestamp
from inventory_svc.domain.saga import Line, PlacedOrder
from inventory_svc.entrypoints.stream import MESSAGE_TYPES, InventoryProcessor
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.log_search import partition_for
from orderflow_platform.settings import Settings
from orderflow_platform.stream.codecs import TopicCodecs
from orderflow_platform.stream.reading import batches_to_end
from tests.integration.helpers import DeadLetterQueue, eventually
from tests.integration.inventory_helpers import Inventory, expect_stock, kill_and_await_restart
from tests.integration.poison import KINDS, poison


@pytest.fixture
def inventory(settings: Settings) -> Iterator[Inventory]:
    client = Inventory(settings)
    yield client
    client.close()


def skus(unique: str, count: int) -> list[str]:
    return [f"T{unique.upper()}-{i}" for i in range(count)]


def test_an_order_with_stock_for_every_line_is_reserved(inventory: Inventory, unique: str) -> None:
    a, b = skus(unique, 2)
    inventory.set_stock(a, 5)
    inventory.set_stock(b, 5)
    order = inventory.place(f"u-{unique}", (a, 2), (b, 3), (a, 1))
    outcome = inventory.settle([order])[order]
    assert outcome.confirmed
    expect_stock(inventory, a, on_hand=5, reserved=3)
    expect_stock(inventory, b, on_hand=5, reserved=3)


def test_a_short_line_fails_the_order_naming_it_and_releases_the_others(
    inventory: Inventory, unique: str
) -> None:
    a, b, c = skus(unique, 3)
    for sku, quantity in ((a, 5), (b, 1), (c, 5)):
        inventory.set_stock(sku, quantity)
    order = inventory.place(f"u-{unique}", (a, 2), (b, 3), (c, 4))
    outcome = inventory.settle([order])[order]
    assert not outcome.confirmed
    event = inventory.rejection(order)
    assert (event.sku, event.quantity_requested, event.quantity_available) == (b, 3, 1)
    for sku, on_hand in ((a, 5), (b, 1), (c, 5)):
        expect_stock(inventory, sku, on_hand=on_hand, reserved=0)


def test_one_users_orders_are_settled_in_the_order_they_were_accepted(
    inventory: Inventory, unique: str
) -> None:
    (sku,) = skus(unique, 1)
    inventory.set_stock(sku, 5)
    orders = [inventory.place(f"u-{unique}", (sku, 1)) for _ in range(8)]
    outcomes = inventory.settle(orders)
    assert [outcomes[o].confirmed for o in orders] == [True] * 5 + [False] * 3


def test_a_burst_for_one_sku_never_oversells(inventory: Inventory, unique: str) -> None:
    (sku,) = skus(unique, 1)
    inventory.set_stock(sku, 50)
    orders = [inventory.place(f"u-{unique}-{i}", (sku, 1 + i % 3)) for i in range(100)]
    outcomes = inventory.settle(orders)
    confirmed = sum(1 + i % 3 for i, o in enumerate(orders) if outcomes[o].confirmed)
    assert 48 <= confirmed <= 50
    expect_stock(inventory, sku, on_hand=50, reserved=confirmed)


def test_every_outcome_is_keyed_by_its_order_and_lands_in_the_partition_that_key_hashes_to(
    inventory: Inventory, unique: str
) -> None:
    """An order's outcomes must share one partition, whichever replica, member or retry
    writes them: replay and the live projector each keep the first one they read
    (invariant 6), which is one and the same only inside one partition."""
    a, b = skus(unique, 2)
    inventory.set_stock(a, 40)
    inventory.set_stock(b, 0)
    lines = [[(a, 1)], [(a, 1), (b, 1)]]
    orders = [inventory.place(f"u-{unique}-{i % 7}", *lines[i % 2]) for i in range(48)]
    outcomes = inventory.settle(orders)
    assert {o.confirmed for o in outcomes.values()} == {True, False}
    for order_id, outcome in outcomes.items():
        topic = RESERVED if outcome.confirmed else FAILED
        assert outcome.key == order_id.encode()
        assert outcome.partition == partition_for(outcome.key, inventory.partitions[topic])


def test_a_repeated_order_created_is_settled_once(inventory: Inventory, unique: str) -> None:
    (sku,) = skus(unique, 1)
    inventory.set_stock(sku, 5)
    order = inventory.place(f"u-{unique}", (sku, 2))
    inventory.place(f"u-{unique}", (sku, 2), order_id=order)
    marker = inventory.place(f"u-{unique}", (sku, 1))
    inventory.settle([order, marker])
    expect_stock(inventory, sku, on_hand=5, reserved=3)


def test_set_stock_is_refused_below_what_is_reserved_and_names_bad_fields(
    inventory: Inventory, unique: str
) -> None:
    (sku,) = skus(unique, 1)
    inventory.set_stock(sku, 5)
    inventory.settle([inventory.place(f"u-{unique}", (sku, 4))])
    expect_stock(inventory, sku, on_hand=5, reserved=4)
    with pytest.raises(grpc.RpcError) as refused:
        inventory.set_stock(sku, 3)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as invalid:
        inventory.set_stock("not a sku", -1)
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "sku" in (invalid.value.details() or "") and "quantity" in (invalid.value.details() or "")
    with pytest.raises(grpc.RpcError) as unknown:
        inventory.stock(f"NEVER-{unique.upper()}")
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("kind", KINDS)
def test_an_undecodable_order_is_parked_once_and_processing_goes_on(
    inventory: Inventory, settings: Settings, unique: str, kind: str
) -> None:
    (sku,) = skus(unique, 1)
    inventory.set_stock(sku, 5)
    dlq = DeadLetterQueue(clients.consumer(settings.kafka, group_id=f"test-{unique}"), ORDERS)
    user = f"u-{unique}"
    valid = inventory.orders_codec.encode(ORDERS, OrderCreated(order_id=str(uuid.uuid4()), user_id=user))
    bad = poison(kind, valid)
    inventory.producer.produce(ORDERS, key=user.encode(), value=bad)
    after = inventory.place(user, (sku, 1))
    assert inventory.settle([after])[after].confirmed
    try:
        parked = dlq.parked(user.encode(), by="inventory-svc")
        # The same user's later order is settled, so the transaction that parked it is
        # committed: the DLQ holds it exactly once.
        assert dlq.count(user.encode(), by="inventory-svc") == 1
    finally:
        dlq.close()
    assert parked.key() == user.encode() and parked.value() == bad
    headers = dict(parked.headers() or [])
    assert b"undecodable" in (headers["dlq_reason"] or b"")
    assert headers["dlq_topic"] == ORDERS.encode()


def stream_with_fault(inventory: Inventory, unique: str, fault: str) -> None:
    """200 orders over 10 SKUs, one replica faulted midway; every order settles once and
    every SKU's stock adds up."""
    rng = random.Random(unique)
    catalogue = skus(unique, 10)
    for sku in catalogue:
        inventory.set_stock(sku, 30)
    placed: list[tuple[str, dict[str, int]]] = []
    for i in range(200):
        lines = {sku: rng.randint(1, 3) for sku in rng.sample(catalogue, rng.randint(1, 3))}
        placed.append((inventory.place(f"u-{unique}-{i % 17}", *lines.items()), lines))
        if i == 80:
            inventory.flush()
            inventory.settle([order for order, _lines in placed[:40]])
            if fault == "kill":
                kill_and_await_restart("inventory_svc-1")
            else:
                control.restart("inventory_svc-2")
    outcomes = inventory.settle([order for order, _lines in placed], deadline_seconds=180)
    for sku in catalogue:
        held = sum(lines.get(sku, 0) for order, lines in placed if outcomes[order].confirmed)
        expect_stock(inventory, sku, on_hand=30, reserved=held)


def test_kill_9_of_a_replica_mid_stream_loses_and_repeats_nothing(inventory: Inventory, unique: str) -> None:
    stream_with_fault(inventory, unique, "kill")


def test_a_rebalance_mid_stream_loses_and_repeats_nothing(inventory: Inventory, unique: str) -> None:
    stream_with_fault(inventory, unique, "restart")


def test_a_rebuild_from_the_changelogs_gives_the_live_state(
    inventory: Inventory, settings: Settings, unique: str
) -> None:
    catalogue = skus(unique, 4)
    for sku in catalogue:
        inventory.set_stock(sku, 10)
    orders = [inventory.place(f"u-{unique}", (sku, 3), (catalogue[0], 1)) for sku in catalogue]
    inventory.settle(orders)
    live = {sku: inventory.stock(sku) for sku in catalogue}
    codecs = TopicCodecs(clients.registry_client(settings.registry), True, MESSAGE_TYPES)
    processor = InventoryProcessor(settings.kafka, codecs)
    partitions = range(6)
    processor.load([TopicPartition(t, p) for t in (ORDERS, COMMANDS) for p in partitions])()
    rebuilt = {sku: processor.state.stock_of(sku) for sku in catalogue}
    assert {s: (v.on_hand, v.reserved) for s, v in rebuilt.items()} == {
        s: (v.on_hand, v.reserved) for s, v in live.items()
    }
    assert all(o in processor.state.settled and o not in processor.state.sagas for o in orders)


def test_a_saga_settled_and_recorded_whole_by_the_previous_version_reads_back_as_settled(
    settings: Settings, unique: str
) -> None:
    """Before settled sagas were kept as ids, their changelog record held the whole saga;
    a var/ made then rebuilds them as settled, and a repeated order is still ignored."""
    order_id, sku = f"o-{unique}", f"T{unique.upper()}"
    codecs = TopicCodecs(clients.registry_client(settings.registry), True, MESSAGE_TYPES)
    partition = 0  # any: the test reads back the partition it wrote to
    whole = inv.OrderProgress(
        order_id=order_id,
        user_id=f"u-{unique}",
        lines=[inv.ReservedItem(sku=sku, quantity=2)],
        total_cents=200,
        created_at=timestamp(datetime.now(UTC)),
        results=[inv.LineResult(order_id=order_id, sku=sku, quantity_requested=2, reserved=True)],
        settled=True,
        currency="USD",
    )
    record = codecs.record(PROGRESS, order_id, whole, partition)
    producer = clients.producer(settings.kafka)
    producer.produce(record.topic, record.value, record.key, partition=partition)
    assert producer.flush(10) == 0

    processor = InventoryProcessor(settings.kafka, codecs)
    processor.load([TopicPartition(ORDERS, partition)])()
    state = processor.state
    assert order_id in state.settled and order_id not in state.sagas
    repeated = PlacedOrder(order_id, f"u-{unique}", (Line(sku, 2),), 200, datetime.now(UTC))
    assert handlers.place_order(repeated, partition, state) == []


def test_killing_a_replica_moves_only_its_partitions_and_the_others_keep_settling(
    inventory: Inventory, settings: Settings, unique: str
) -> None:
    survivor, victim = "inventory_svc-1", "inventory_svc-2"
    owned = eventually(lambda: orders_partitions(settings).get(f"inventory-svc-{survivor[-1]}"))
    user, sku = key_in(f"u-{unique}", owned), key_in(f"T{unique.upper()}", owned)
    inventory.set_stock(sku, 1000)
    before = rebalance_figures(REPLICA_METRICS[survivor])
    kill_and_await_restart(victim)

    def victim_back() -> bool:
        members = orders_partitions(settings)
        return len(members) == 2 and all(len(held) == 3 for held in members.values())

    # Until the dead member's session ends and its partitions move to its restarted self,
    # orders on the survivor's partitions settle as they come, each within seconds.
    while not victim_back():
        order = inventory.place(user, (sku, 1))
        assert inventory.settle([order], deadline_seconds=5)[order].confirmed
    # The survivor gave nothing up and read no state again.
    assert rebalance_figures(REPLICA_METRICS[survivor]) == before
    # And the moved partitions work again.
    moved_user = next(
        u for u in (f"m-{unique}-{i}" for i in range(1000)) if partition_for(u.encode(), 6) not in owned
    )
    order = inventory.place(moved_user, (sku, 1))
    assert inventory.settle([order])[order].confirmed


REPLICA_METRICS = {
    "inventory_svc-1": "http://127.0.0.1:9102/metrics",
    "inventory_svc-2": "http://127.0.0.1:9105/metrics",
}


def key_in(prefix: str, partitions: set[int]) -> str:
    """A key that murmur2 puts in one of these partitions (of six)."""
    return next(
        key for key in (f"{prefix}-{i}" for i in range(1000)) if partition_for(key.encode(), 6) in partitions
    )


def orders_partitions(settings: Settings) -> dict[str, set[int]]:
    """Per live member of the inventory group (by client id), its orders.created partitions."""
    admin = clients.admin_client(settings.kafka)
    group = admin.describe_consumer_groups(["inventory-svc"])["inventory-svc"].result(10)
    return {
        member.client_id: {tp.partition for tp in member.assignment.topic_partitions if tp.topic == ORDERS}
        for member in group.members
    }


def rebalance_figures(metrics_url: str) -> dict[str, float]:
    """A replica's partitions revoked and state rebuilds so far."""
    figures = {"revoked": 0.0, "rebuilds": 0.0}
    for line in httpx.get(metrics_url, timeout=5).text.splitlines():
        if line.startswith("orderflow_partitions_rebalanced_total{") and 'change="revoked"' in line:
            figures["revoked"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("orderflow_state_rebuild_seconds_count{"):
            figures["rebuilds"] = float(line.rsplit(" ", 1)[1])
    return figures


def test_a_line_whose_sku_the_coordinator_holds_is_decided_in_place(
    inventory: Inventory, settings: Settings, unique: str
) -> None:
    """A member holds partition N of every input topic (the range assignor), so a line whose
    SKU hashes to its order's partition is reserved by the coordinator itself: no ReserveLine
    goes through inventory.commands for it, while one for a SKU of the other member does."""
    held = eventually(lambda: orders_partitions(settings).get("inventory-svc-1"))
    user = key_in(f"u-{unique}", held)
    home = partition_for(user.encode(), 6)
    here = next(
        s for s in (f"T{unique.upper()}-H{i}" for i in range(1000)) if partition_for(s.encode(), 6) == home
    )
    elsewhere = key_in(f"T{unique.upper()}-E", set(range(6)) - held)
    for sku in (here, elsewhere):
        inventory.set_stock(sku, 5)
    ends = command_ends(settings)

    local = inventory.place(user, (here, 2))
    remote = inventory.place(user, (elsewhere, 2))
    outcomes = inventory.settle([local, remote])
    assert outcomes[local].confirmed and outcomes[remote].confirmed
    expect_stock(inventory, here, on_hand=5, reserved=2)
    expect_stock(inventory, elsewhere, on_hand=5, reserved=2)
    reserved_through_kafka = reserve_commands_since(settings, ends)
    assert remote in reserved_through_kafka
    assert local not in reserved_through_kafka


def command_ends(settings: Settings) -> list[TopicPartition]:
    reader = clients.consumer(settings.kafka, f"test-{uuid.uuid4().hex}")
    try:
        return [
            TopicPartition(
                COMMANDS, p, reader.get_watermark_offsets(TopicPartition(COMMANDS, p), timeout=10)[1]
            )
            for p in range(6)
        ]
    finally:
        reader.close()


def reserve_commands_since(settings: Settings, starts: list[TopicPartition]) -> set[str]:
    """The order ids of the ReserveLine commands written from `starts` to the ends now."""
    codecs = TopicCodecs(clients.registry_client(settings.registry), True, MESSAGE_TYPES)
    reader = clients.consumer(settings.kafka, f"test-{uuid.uuid4().hex}", **{"enable.partition.eof": True})
    try:
        orders = set()
        for batch in batches_to_end(reader, starts, {}):
            for message in batch:
                command = codecs.decode(message)
                assert isinstance(command, inv.StockCommand)
                if command.WhichOneof("action") == "reserve":
                    orders.add(command.reserve.order_id)
        return orders
    finally:
        reader.close()

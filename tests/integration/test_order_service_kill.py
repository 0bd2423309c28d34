"""kill -9 of order_svc with keyed CreateOrder calls in flight, then every key retried, on
the restarted instance or on another one that was running all along.

order_svc runs as a subprocess of this test (not the stack's), so it can be SIGKILLed
without disturbing anyone else. The kill lands while the process is SIGSTOPped in the
worst state: a claim still `claimed` in the ledger whose OrderCreated is already on
the topic (acknowledged, not yet recorded).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import psycopg
import pytest
from confluent_kafka import Consumer, TopicPartition
from grpc_health.v1 import health_pb2, health_pb2_grpc
from orderflow.order.v1 import order_service_pb2 as pb
from orderflow.order.v1 import order_service_pb2_grpc as pb_grpc
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem

from order_svc.adapters.kafka_log import TOPIC
from orderflow_platform.kafka import clients
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually

ROOT = Path(__file__).resolve().parents[2]
IN_FLIGHT = 40
# What "answered within a few seconds of readiness" means here.
ANSWER_WITHIN_SECONDS = 5.0
ITEM = OrderItem(sku="SKU-1", quantity=1, unit_price_cents=100)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OrderSvcProcess:
    """`python -m order_svc` on a port of its own, its log in a file."""

    def __init__(self, address: str, log_file: Path) -> None:
        self.address = address
        env = {**os.environ, "ORDER_SVC_ADDRESS": address, "ORDERFLOW_METRICS__PORT": "0"}
        with log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "order_svc"], cwd=ROOT, env=env, stdout=log, stderr=log
            )

    def wait_ready(self) -> float:
        """Waits for gRPC health SERVING; returns the monotonic time it was first seen."""

        def serving() -> bool:
            assert self.process.poll() is None, "order_svc exited"
            try:
                with grpc.insecure_channel(self.address) as channel:
                    reply = health_pb2_grpc.HealthStub(channel).Check(
                        health_pb2.HealthCheckRequest(), timeout=1.0
                    )
                    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
            except grpc.RpcError:
                return False

        eventually(serving, deadline_seconds=60.0, every=0.05)
        return time.monotonic()

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.process.pid, sig)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


class OrdersCreated:
    """orders.created from its current end, read_committed: the order ids of the events of
    users with a prefix."""

    def __init__(self, settings: Settings, user_prefix: str) -> None:
        self.prefix = user_prefix.encode()
        self.order_ids: list[str] = []
        self._consumer: Consumer = clients.consumer(settings.kafka, group_id=f"test-{user_prefix}")
        partitions = self._consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        self._ends = [TopicPartition(TOPIC, p) for p in partitions]
        # Kept here: the consumer reports no position for a partition it has read nothing from.
        self._next = {tp.partition: self._high(tp) for tp in self._ends}
        self._consumer.assign([TopicPartition(TOPIC, p, offset) for p, offset in self._next.items()])

    def _high(self, tp: TopicPartition) -> int:
        return int(self._consumer.get_watermark_offsets(tp, timeout=10, cached=False)[1])

    def catch_up(self) -> list[str]:
        """Reads up to the ends the partitions have now; returns the order ids of all events
        seen so far, one per event."""
        targets = {tp.partition: self._high(tp) for tp in self._ends}
        deadline = time.monotonic() + 30.0
        while any(self._next[p] < end for p, end in targets.items()):
            assert time.monotonic() < deadline, "orders.created not read to its end in 30 s"
            message = self._consumer.poll(0.2)
            if message is None or message.error() is not None:
                continue
            partition, offset = message.partition(), message.offset()
            assert partition is not None and offset is not None
            self._next[partition] = offset + 1
            key, value = message.key(), message.value()
            if key is not None and key.startswith(self.prefix) and value is not None:
                self.order_ids.append(order_created(value).order_id)
        return self.order_ids

    def close(self) -> None:
        self._consumer.close()


def order_created(value: bytes) -> OrderCreated:
    """Decoded without the registry (whose state other tests change while this one runs):
    Confluent's framing is a magic byte, a 4-byte schema id, then the message index path
    as zigzag varints (a count, then each index; a lone 0 for the file's first message)."""
    position = 5

    def varint() -> int:
        nonlocal position
        result = shift = 0
        while True:
            byte = value[position]
            position += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)

    for _ in range(varint()):
        varint()
    return OrderCreated.FromString(value[position:])


class Load:
    """Keyed CreateOrder calls, IN_FLIGHT at a time, a new user and key each, until stopped."""

    def __init__(self, address: str, user_prefix: str) -> None:
        self.address, self.prefix = address, user_prefix
        self.sent: list[str] = []  # users; each user's key is "key-<user>"
        self.answered: dict[str, str] = {}  # user -> order id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()

    async def _run(self) -> None:
        async with grpc.aio.insecure_channel(self.address) as channel:
            stub = pb_grpc.OrderServiceStub(channel)
            await asyncio.gather(*(self._worker(stub, w) for w in range(IN_FLIGHT)))

    async def _worker(self, stub: pb_grpc.OrderServiceStub, worker: int) -> None:
        n = 0
        while not self._stop.is_set():
            user = f"{self.prefix}{worker}-{n}"
            n += 1
            self.sent.append(user)
            try:
                response = await stub.CreateOrder(request(user), timeout=10)
            except grpc.aio.AioRpcError:
                continue  # unanswered (the server is gone): the retry after the restart answers
            self.answered[user] = response.order_id

    def answered_more_than(self, count: int) -> Callable[[], bool]:
        return lambda: len(self.answered) > count

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        assert not self._thread.is_alive()


def request(user: str) -> pb.CreateOrderRequest:
    return pb.CreateOrderRequest(user_id=user, items=[ITEM], total_cents=100, idempotency_key=f"key-{user}")


def claimed_order_ids(settings: Settings, user_prefix: str) -> set[str]:
    with psycopg.connect(settings.postgres.dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT order_id FROM order_requests WHERE user_id LIKE %s AND state = 'claimed'",
            (f"{user_prefix}%",),
        ).fetchall()
    return {row[0] for row in rows}


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "order_svc.log"
    yield path
    print(path.read_text(errors="replace")[-4000:] if path.exists() else "no order_svc log")


@pytest.mark.parametrize("retried_on", ["the restarted instance", "another live instance"])
def test_keys_in_flight_at_kill_are_answered_within_seconds_with_one_event_each(
    settings: Settings, unique: str, log_file: Path, retried_on: str
) -> None:
    prefix = f"kill-{unique}-"
    address = f"127.0.0.1:{free_port()}"
    topic = OrdersCreated(settings, prefix)
    first = OrderSvcProcess(address, log_file)
    second: OrderSvcProcess | None = None
    try:
        first.wait_ready()
        if retried_on == "another live instance":
            second = OrderSvcProcess(f"127.0.0.1:{free_port()}", log_file)
            second.wait_ready()
        load = Load(address, prefix)
        # Freeze the process, look at the ledger and the topic as they are at that instant,
        # and kill it only when some claim's event is on the topic but not yet recorded (its
        # caller answered or not: the answer does not wait for the record) while other
        # claims are still waiting for their answer.
        deadline = time.monotonic() + 60.0
        while True:
            first.signal(signal.SIGSTOP)
            claimed = claimed_order_ids(settings, prefix)
            landed = set(topic.catch_up())
            if claimed & landed and claimed - set(load.answered.values()):
                break
            assert time.monotonic() < deadline, "never caught an acknowledged, unrecorded claim"
            first.signal(signal.SIGCONT)
            # Let it run until at least one more call is answered.
            eventually(load.answered_more_than(len(load.answered)), deadline_seconds=10.0, every=0.005)
        first.kill()
        load.stop()

        if second is None:
            second = OrderSvcProcess(address, log_file)
            ready_at = second.wait_ready()
        else:
            ready_at = time.monotonic()
        took, retried = asyncio.run(retry_all(second.address, load.sent, ready_at))
    finally:
        if first.process.poll() is None:
            first.kill()
        if second is not None:
            second.kill()
    print(
        f"{len(load.sent)} keys, {len(claimed)} claimed at the kill, {len(claimed & landed)} of them"
        f" already on the topic; retried on {retried_on}, the slowest answered {max(took):.3f}s"
        " after it was ready (or after the kill)"
    )

    failed = {user: outcome for user, outcome in retried.items() if not isinstance(outcome, str)}
    assert not failed, f"{len(failed)} retries refused: {Counter(failed.values())}"
    assert max(took) < ANSWER_WITHIN_SECONDS
    for user, order_id in load.answered.items():
        assert retried[user] == order_id, "a retry returns the order its key first produced"
    per_order = Counter(topic.catch_up())
    topic.close()
    assert {o: n for o, n in per_order.items() if n > 1} == {}, "a second OrderCreated for an order id"
    assert set(per_order) == set(retried.values()), "every key's order on the topic, and no other"


async def retry_all(
    address: str, users: list[str], ready_at: float
) -> tuple[list[float], dict[str, str | grpc.StatusCode]]:
    """Retries every key at once; seconds from readiness to each answer, and each outcome."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.OrderServiceStub(channel)

        async def retry(user: str) -> tuple[float, str | grpc.StatusCode]:
            try:
                response = await stub.CreateOrder(request(user), timeout=10)
                outcome: str | grpc.StatusCode = response.order_id
            except grpc.aio.AioRpcError as error:
                outcome = error.code()
            return time.monotonic() - ready_at, outcome

        results = await asyncio.gather(*(retry(user) for user in users))
    return [t for t, _ in results], dict(zip(users, (o for _, o in results), strict=True))

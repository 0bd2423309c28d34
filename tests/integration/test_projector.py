"""The running projector: events produced straight to its topics become read-model rows,
exactly once, whatever order they arrive in and even when the projector is killed.

The running inventory_svc reads the same orders.created and rejects these orders (their
SKUs are stocked by nobody); where a test needs an outcome of its own, it sends it first.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

import grpc
import pytest
from confluent_kafka import Consumer, TopicPartition
from orderflow.order.v1 import order_service_pb2 as pb
from orderflow.order.v1 import order_service_pb2_grpc as pb_grpc
from orderflow.order.v1.events_pb2 import OrderCreated

from devstack import control
from orderflow_platform.kafka import clients
from orderflow_platform.settings import Settings
from tests.integration.helpers import DeadLetterQueue, eventually
from tests.integration.poison import KINDS, poison
from tests.integration.projector_helpers import Events, scalar, unique_minute

ORDER_SVC = "127.0.0.1:50051"


@pytest.fixture
def events(settings: Settings) -> Events:
    return Events(settings)


@pytest.fixture
def orders() -> Iterator[pb_grpc.OrderServiceStub]:
    with grpc.insecure_channel(ORDER_SVC) as channel:
        yield pb_grpc.OrderServiceStub(channel)


def status_of(orders: pb_grpc.OrderServiceStub, order_id: str) -> pb.Order | None:
    try:
        order: pb.Order = orders.GetOrder(pb.GetOrderRequest(order_id=order_id), timeout=5)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error
        return None
    return order


def test_an_outcome_that_overtakes_its_order_waits_for_it(
    events: Events, orders: pb_grpc.OrderServiceStub, settings: Settings, unique: str
) -> None:
    user, at, order_id = f"user-{unique}", unique_minute(unique), str(uuid.uuid4())
    events.rejected(order_id, user, at + timedelta(seconds=2), "out of stock: SKU-1")
    events.flush()
    eventually(lambda: scalar(settings, "SELECT status FROM orders WHERE order_id = %s", order_id))
    assert status_of(orders, order_id) is None  # not shown until its OrderCreated is projected
    events.created(user, at, order_id)
    events.flush()
    rejected = eventually(lambda: status_of(orders, order_id))
    assert (rejected.status, rejected.reason) == (pb.ORDER_STATUS_REJECTED, "out of stock: SKU-1")
    assert scalar(settings, "SELECT count(*) FROM order_status_history WHERE order_id = %s", order_id) == 2


def test_a_duplicate_order_is_projected_once(events: Events, settings: Settings, unique: str) -> None:
    user, at = f"user-{unique}", unique_minute(unique)
    order_id = events.created(user, at, lines=2)
    events.created(user, at, order_id, lines=3)
    later = events.created(user, at)
    events.flush()
    eventually(lambda: scalar(settings, "SELECT 1 FROM orders WHERE order_id = %s", later))
    assert scalar(settings, "SELECT count(*) FROM order_lines WHERE order_id = %s", order_id) == 2
    assert scalar(settings, "SELECT count(*) FROM orders WHERE user_id = %s", user) == 2


def test_records_it_cannot_use_are_parked_on_the_dlq_and_projection_goes_on(
    events: Events, settings: Settings, unique: str
) -> None:
    dlq = clients.consumer(settings.kafka, f"test-{unique}")
    try:
        partitions = dlq.list_topics("orders.created.dlq", timeout=10).topics["orders.created.dlq"].partitions
        ends = [TopicPartition("orders.created.dlq", p) for p in partitions]
        dlq.assign([TopicPartition(tp.topic, tp.partition, dlq.get_watermark_offsets(tp)[1]) for tp in ends])
        user = f"user-{unique}"
        events.send_raw("orders.created", user, b"not protobuf")
        # Valid protobuf, but Postgres cannot store a NUL in text: the batch is retried
        # record by record, and only this one is parked.
        unstorable = events.created(f"{user}\x00", unique_minute(unique))
        after = events.created(user, unique_minute(unique))
        events.flush()
        eventually(lambda: scalar(settings, "SELECT 1 FROM orders WHERE order_id = %s", after))
        parked = DeadLetters(dlq)
        eventually(lambda: parked.reasons(user))
        eventually(lambda: any("refused by postgres" in r for r in parked.reasons(f"{user}\x00")))
        assert scalar(settings, "SELECT 1 FROM orders WHERE order_id = %s", unstorable) is None
    finally:
        dlq.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_record_that_can_never_be_decoded_is_parked_once_and_projection_goes_on(
    events: Events, settings: Settings, unique: str, kind: str
) -> None:
    user = f"user-{unique}"
    valid = events.encode("orders.created", OrderCreated(order_id=str(uuid.uuid4()), user_id=user))
    dlq = DeadLetterQueue(clients.consumer(settings.kafka, f"test-{unique}"), "orders.created")
    try:
        events.send_raw("orders.created", user, poison(kind, valid))
        after = events.created(user, unique_minute(unique))
        events.flush()
        # The same user's later order is projected, so the checkpoint is past the poison.
        eventually(lambda: scalar(settings, "SELECT 1 FROM orders WHERE order_id = %s", after))
        assert dlq.count(user.encode(), by="projector") == 1
    finally:
        dlq.close()


class DeadLetters:
    """The DLQ's records by key; inventory_svc reads orders.created too and may park some."""

    def __init__(self, dlq: Consumer) -> None:
        self._dlq, self._reasons = dlq, defaultdict[bytes, list[str]](list)

    def reasons(self, key: str) -> list[str]:
        message = self._dlq.poll(0.2)
        if message is not None and message.error() is None:
            reason = dict(message.headers() or [])["dlq_reason"]
            assert isinstance(reason, bytes)
            self._reasons[message.key() or b""].append(reason.decode())
        return self._reasons[key.encode()]


def test_killing_the_projector_mid_batch_loses_and_repeats_nothing(
    events: Events, settings: Settings, unique: str
) -> None:
    count, at = 10_000, unique_minute(unique)
    users = [f"user-{unique}-{n % 50}" for n in range(count)]
    for user in users:
        events.created(user, at, lines=2)
    events.flush()
    projected = "SELECT count(*) FROM orders WHERE created_at = %s"
    # Killed as soon as the first batches are in: the rest are in flight or not yet read.
    eventually(lambda: scalar(settings, projected, at), every=0.005)
    control.kill("projector")  # supervisord restarts it, as after a crash
    assert scalar(settings, projected, at) < count
    eventually(lambda: scalar(settings, projected, at) == count, 90)
    per_minute = "SELECT orders FROM orders_per_minute WHERE minute = %s"
    eventually(lambda: scalar(settings, per_minute, at) == count, 90)
    lines = "SELECT count(*) FROM order_lines JOIN orders USING (order_id) WHERE created_at = %s"
    assert scalar(settings, lines, at) == 2 * count
    history = "SELECT count(*) FROM order_status_history WHERE at = %s"
    assert scalar(settings, history, at) == count

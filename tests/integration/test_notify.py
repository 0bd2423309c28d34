"""Notifications: the email sink against a real SMTP server, and the stack's notify_svc
from outcome events to mail files in var/mail, through crashes and SMTP outages."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Producer
from orderflow.inventory.v1.events_pb2 import OrderRejected, OrderReserved, ReservedItem

from devstack import control
from devstack.spec import VAR
from mail_catcher.mailbox import RECEIPTS, CatcherController, Mailbox, file_name
from notify_svc.adapters.sinks import EmailSink
from notify_svc.domain.model import Line, OrderConfirmed, notification_for
from notify_svc.domain.ports import SinkFailed
from notify_svc.settings import SmtpSettings
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings
from tests.integration.helpers import DeadLetterQueue, eventually
from tests.integration.inventory_helpers import kill_and_await_restart

MAIL = VAR / "mail"
RESERVED, FAILED = "inventory.reserved", "inventory.failed"


class Outcomes:
    """Publishes outcome events as inventory would."""

    def __init__(self, settings: Settings) -> None:
        registry = clients.registry_client(settings.registry)
        self.reserved = ProtobufCodec(registry, OrderReserved)
        self.rejected = ProtobufCodec(registry, OrderRejected)
        self.producer: Producer = clients.producer(settings.kafka)

    def confirm(self, user: str, order_id: str | None = None) -> str:
        order_id = order_id or str(uuid.uuid4())
        event = OrderReserved(
            order_id=order_id, user_id=user, items=[ReservedItem(sku="SKU-1", quantity=2)], total_cents=500
        )
        self.producer.produce(RESERVED, key=order_id.encode(), value=self.reserved.encode(RESERVED, event))
        return order_id

    def reject(self, user: str) -> str:
        order_id = str(uuid.uuid4())
        event = OrderRejected(
            order_id=order_id, user_id=user, sku="SKU-7", quantity_requested=3, quantity_available=1
        )
        self.producer.produce(FAILED, key=order_id.encode(), value=self.rejected.encode(FAILED, event))
        return order_id

    def raw(self, topic: str, key: bytes, value: bytes) -> None:
        self.producer.produce(topic, key=key, value=value)

    def flush(self) -> None:
        assert self.producer.flush(30) == 0


@pytest.fixture
def outcomes(settings: Settings) -> Outcomes:
    return Outcomes(settings)


def mail_of(kind: str, order_id: str) -> Path:
    return MAIL / file_name(f"<{kind}.{order_id}@orderflow>")


def receipts() -> Counter[str]:
    path = MAIL / RECEIPTS
    return Counter(path.read_text().splitlines()) if path.exists() else Counter()


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox(tmp_path)
    # aiosmtpd's Controller connects to its own port to check it is up, so it needs one named.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = CatcherController(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()
    mailbox.close()


def test_the_email_sink_delivers_over_real_smtp(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    notice = notification_for(OrderConfirmed("o-42", "alice", (Line("SKU-1", 2),), 500), "users.test")
    sink = EmailSink(SmtpSettings(host="127.0.0.1", port=port), "shop <orders@shop.test>")

    async def send_twice() -> None:
        await sink.send(notice)
        await sink.send(notice)
        await sink.close()

    asyncio.run(send_twice())
    (kept,) = mailbox.folder.glob("*.eml")
    mail = message_from_bytes(kept.read_bytes())
    assert (mail["To"], mail["Subject"], mail["Message-ID"]) == (
        "alice@users.test",
        "Order confirmed: o-42",
        "<confirmed.o-42@orderflow>",
    )
    assert "2 x SKU-1" in mail.get_payload()
    # Sent twice (as after a crash), kept once: the mailbox keys mail by its Message-ID.
    assert (mailbox.folder / RECEIPTS).read_text().splitlines() == ["<confirmed.o-42@orderflow>"] * 2


def test_the_email_sink_sends_side_by_side_on_its_connections(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    notices = [
        notification_for(OrderConfirmed(f"o-{i}", "alice", (Line("SKU-1", 1),), 100), "users.test")
        for i in range(10)
    ]
    sink = EmailSink(SmtpSettings(host="127.0.0.1", port=port, connections=3), "orders@shop.test")

    async def send_all() -> None:
        await asyncio.gather(*(sink.send(notice) for notice in notices))
        await sink.close()

    asyncio.run(send_all())
    assert sorted((mailbox.folder / RECEIPTS).read_text().splitlines()) == sorted(
        notice.message_id for notice in notices
    )


def test_the_email_sink_fails_cleanly_when_smtp_is_down() -> None:
    sink = EmailSink(SmtpSettings(host="127.0.0.1", port=1, timeout_seconds=2), "orders@shop.test")
    notice = notification_for(OrderConfirmed("o-1", "a", (Line("A", 1),), 1), "users.test")
    with pytest.raises(SinkFailed):
        asyncio.run(sink.send(notice))


def test_each_outcome_becomes_one_mail_in_var_mail(outcomes: Outcomes, unique: str) -> None:
    confirmed = outcomes.confirm(f"alice-{unique}")
    rejected = outcomes.reject(f"bob-{unique}")
    outcomes.flush()
    eventually(
        lambda: mail_of("confirmed", confirmed).exists() and mail_of("out_of_stock", rejected).exists(), 120
    )
    confirmation = message_from_bytes(mail_of("confirmed", confirmed).read_bytes())
    assert confirmation["To"] == f"alice-{unique}@users.orderflow.test"
    assert confirmed in confirmation["Subject"] and "Total: 5.00" in confirmation.get_payload()
    notice = message_from_bytes(mail_of("out_of_stock", rejected).read_bytes())
    assert notice["Subject"] == f"Out of stock: {rejected}" and "SKU-7" in notice.get_payload()


def test_kill_9_mid_stream_loses_no_mail_and_repeats_none(outcomes: Outcomes, unique: str) -> None:
    orders = [outcomes.confirm(f"u-{unique}-{i % 7}") for i in range(100)]
    outcomes.flush()
    eventually(lambda: any(mail_of("confirmed", o).exists() for o in orders), 120)
    kill_and_await_restart("notify_svc")
    eventually(lambda: all(mail_of("confirmed", o).exists() for o in orders), 180)
    received = receipts()
    ours = {f"<confirmed.{o}@orderflow>" for o in orders}
    # A crash can resend the mails in flight, one per SMTP connection, each with the same
    # Message-ID (so one file).
    assert sum(received[m] - 1 for m in ours) <= SmtpSettings().connections
    assert all(received[m] >= 1 for m in ours)


def test_smtp_down_is_retried_then_delivered(outcomes: Outcomes, settings: Settings, unique: str) -> None:
    control.stop("mail_catcher")
    try:
        order = outcomes.confirm(f"u-{unique}")
        outcomes.flush()

        def attempts() -> int:
            with psycopg.connect(settings.postgres.dsn) as conn:
                row = conn.execute(
                    "SELECT attempts FROM notification_outbox WHERE order_id = %s AND sink = 'email'",
                    (order,),
                ).fetchone()
            return int(row[0]) if row else 0

        eventually(lambda: attempts() >= 2, 120)
    finally:
        control.up(["mail_catcher"])
    eventually(lambda: mail_of("confirmed", order).exists(), 120)


def test_an_outcome_missing_fields_goes_to_the_dlq(
    outcomes: Outcomes, settings: Settings, unique: str
) -> None:
    dlq = DeadLetterQueue(clients.consumer(settings.kafka, group_id=f"test-{unique}"), RESERVED)
    key = f"no-order-id-{unique}".encode()
    outcomes.raw(RESERVED, key, outcomes.reserved.encode(RESERVED, OrderReserved(user_id=f"u-{unique}")))
    outcomes.flush()
    try:
        record = dlq.parked(key, by="notify_svc")
    finally:
        dlq.close()
    assert b"order_id" in (dict(record.headers() or [])["dlq_reason"] or b"")

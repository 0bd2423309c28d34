"""V1 and V2 OrderCreated side by side on orders.created: real V1 records (the V1 schema,
V1 wire bytes) next to V2 ones, and every consumer handles both."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email import message_from_bytes

import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from orderflow.inventory.v1.events_pb2 import OrderReserved
from orderflow.order.v1.events_pb2 import OrderCreated, OrderItem

from devstack.spec import VAR
from inventory_svc.adapters.events import ORDERS
from mail_catcher.mailbox import file_name
from notify_svc.settings import NotifyServiceSettings
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually
from tests.integration.inventory_helpers import Inventory
from tests.integration.projector_helpers import scalar
from tests.integration.schema_history import order_created

SUBJECT = "http://localhost:8081/apis/ccompat/v7/subjects/orders.created-value/versions"
MAIL = VAR / "mail"


@pytest.fixture
def inventory(settings: Settings) -> Iterator[Inventory]:
    client = Inventory(settings)
    yield client
    client.close()


def schema_id(value: bytes) -> int:
    return int.from_bytes(value[1:5], "big")


def registered_ids() -> list[int]:
    """The schema id of each version of orders.created-value, oldest first."""
    return [httpx.get(f"{SUBJECT}/{v}").json()["id"] for v in httpx.get(SUBJECT).json()]


def test_v1_and_v2_orders_in_one_topic_settle_project_and_mail(
    inventory: Inventory, settings: Settings, unique: str
) -> None:
    sku = f"V{unique.upper()}"
    inventory.set_stock(sku, 10)
    registry = clients.registry_client(settings.registry)
    created_at = Timestamp()
    created_at.GetCurrentTime()
    items = [OrderItem(sku=sku, quantity=1, unit_price_cents=2500)]
    v1_user, v2_user = f"v1-{unique}", f"v2-{unique}"
    v1_order, v2_order = str(uuid.uuid4()), str(uuid.uuid4())

    V1 = order_created("v1")
    fields = OrderCreated(
        order_id=v1_order, user_id=v1_user, items=items, total_cents=2500, created_at=created_at
    )
    v1 = V1.FromString(fields.SerializeToString())
    v1_bytes = ProtobufCodec(registry, V1).encode(ORDERS, v1)
    v2 = OrderCreated(
        order_id=v2_order,
        user_id=v2_user,
        items=items,
        total_cents=2500,
        created_at=created_at,
        currency="EUR",
        contact_email=f"buyer-{unique}@corp.test",
    )
    v2_bytes = ProtobufCodec(registry, OrderCreated).encode(ORDERS, v2)
    # Two versions of one subject, each record framed with its own.
    versions = registered_ids()
    assert schema_id(v1_bytes) == versions[0] and schema_id(v2_bytes) in versions[1:]
    inventory.producer.produce(ORDERS, key=v1_user.encode(), value=v1_bytes)
    inventory.producer.produce(ORDERS, key=v2_user.encode(), value=v2_bytes)

    outcomes = inventory.settle([v1_order, v2_order])
    assert outcomes[v1_order].confirmed and outcomes[v2_order].confirmed
    v1_event, v2_event = outcomes[v1_order].event, outcomes[v2_order].event
    assert isinstance(v1_event, OrderReserved) and isinstance(v2_event, OrderReserved)
    assert (v1_event.currency, v1_event.contact_email) == ("USD", "")
    assert (v2_event.currency, v2_event.contact_email) == ("EUR", f"buyer-{unique}@corp.test")

    currency = "SELECT currency FROM orders WHERE order_id = %s"
    eventually(lambda: scalar(settings, currency, v1_order) == "USD", 60)
    eventually(lambda: scalar(settings, currency, v2_order) == "EUR", 60)

    mails = {order: MAIL / file_name(f"<confirmed.{order}@orderflow>") for order in (v1_order, v2_order)}
    eventually(lambda: all(path.exists() for path in mails.values()), 120)
    v1_mail = message_from_bytes(mails[v1_order].read_bytes())
    v2_mail = message_from_bytes(mails[v2_order].read_bytes())
    assert v1_mail["To"] == f"{v1_user}@{NotifyServiceSettings().notify.recipient_domain}"
    assert "Total: 25.00 USD" in str(v1_mail.get_payload())
    assert v2_mail["To"] == f"buyer-{unique}@corp.test"
    assert "Total: 25.00 EUR" in str(v2_mail.get_payload())

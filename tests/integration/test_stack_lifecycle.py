"""The native stack's own promises: one component restarts alone, and data survives down/up."""

from __future__ import annotations

import os

import pytest
from confluent_kafka import TopicPartition

from devstack import control, ports, supervisor
from devstack.probes import answers
from devstack.spec import load
from orderflow_ops.registry import RegistryAdmin
from orderflow_platform.kafka import clients
from orderflow_platform.settings import Settings
from tests.integration.helpers import consume, create_topic, eventually

SCHEMA = 'syntax = "proto3";\npackage test.v1;\nmessage Kept {\n  string id = 1;\n}\n'


def pid(name: str) -> int:
    return int(supervisor.rpc().getProcessInfo(name)["pid"])


def test_one_component_restarts_alone() -> None:
    kafka_before, registry_before = pid("kafka"), pid("registry")
    control.restart("registry")
    assert pid("registry") != registry_before
    assert pid("kafka") == kafka_before
    assert all(ready == "ready" for _name, _state, ready in control.status())


def test_a_killed_component_is_restarted_by_supervisord() -> None:
    probe = load().processes["registry"].ready
    assert probe is not None
    before = pid("registry")
    control.kill("registry")
    eventually(lambda: pid("registry") not in (0, before) and answers(probe), deadline_seconds=120)


def test_topics_events_and_schemas_survive_down_and_up(settings: Settings, unique: str) -> None:
    topic, subject = f"test.kept.{unique}", f"test.kept.{unique}-value"
    create_topic(clients.admin_client(settings.kafka), topic, partitions=1)
    producer = clients.producer(settings.kafka)
    producer.produce(topic, key=b"k", value=b"still here")
    assert producer.flush(30) == 0
    assert RegistryAdmin(settings.registry).register(subject, SCHEMA).status_code == 200

    control.down()
    assert not supervisor.running()
    control.up()

    assert subject in RegistryAdmin(settings.registry).subjects()
    consumer = clients.consumer(settings.kafka, group_id=f"test-{unique}")
    consumer.assign([TopicPartition(topic, 0, 0)])
    try:
        (record,) = consume(consumer, 1)
    finally:
        consumer.close()
    assert record.value() == b"still here"


def test_no_client_connection_can_take_a_port_the_stack_listens_on() -> None:
    """While a service is down its port is free; the kernel must not hand it to a client socket
    as its source port, or the service cannot bind again for as long as that connection lives."""
    setting = ports.PROC / "ip_local_reserved_ports"
    if not os.access(setting, os.W_OK):
        pytest.skip(f"{setting} is read-only here (an unprivileged container): nothing to reserve with")
    reserved = ports.parse_ranges(setting.read_text())
    assert ports.ephemeral(ports.listening_ports(load())) <= reserved

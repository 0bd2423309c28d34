"""The machine's own limits, measured in the same run as the stack.

broker: a raw producer (acks=all, idempotent, 150 B records) as fast as it goes, onto a
topic of its own, deleted afterwards. front door: ghz at the same concurrency and with
the same CreateOrder call against a bare grpc.aio server (bench.e2e.bare_server).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from typing import Any

import grpc
from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic

from bench.create_order import ghz_report
from devstack.spec import ROOT
from orderflow_platform.kafka import clients
from orderflow_platform.settings import Settings

RECORD_BYTES = 150
PARTITIONS = 6


def raw_producer(settings: Settings, records: int) -> float:
    """Records per second, from the first produce to the last acknowledgement."""
    topic = f"bench.e2e.raw-{uuid.uuid4().hex[:8]}"
    admin = clients.admin_client(settings.kafka)
    admin.create_topics([NewTopic(topic, PARTITIONS, settings.kafka.replication_factor)])[topic].result(30)
    try:
        producer = Producer(
            {
                "bootstrap.servers": settings.kafka.bootstrap_servers,
                "acks": "all",
                "enable.idempotence": True,
            }
        )
        value = os.urandom(RECORD_BYTES)
        started = time.perf_counter()
        for _ in range(records):
            while True:
                try:
                    producer.produce(topic, value)
                    break
                except BufferError:
                    producer.poll(0.01)
            producer.poll(0)
        assert producer.flush(120) == 0, "records left unacknowledged"
        return records / (time.perf_counter() - started)
    finally:
        admin.delete_topics([topic])[topic].result(30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bare_grpc(total: int, concurrency: int, body: dict[str, Any]) -> dict[str, Any]:
    """ghz's report against a bare server in a process of its own."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.e2e.bare_server", str(port)], cwd=ROOT)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
        return ghz_report(f"127.0.0.1:{port}", total, concurrency, 0, body)
    finally:
        server.terminate()
        server.wait(30)

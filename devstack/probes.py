"""Readiness probes: a component is up when it answers, never after a fixed sleep."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import grpc
import httpx
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack.spec import Probe

POLL_SECONDS = 0.25


def answers(probe: Probe) -> bool:
    """One attempt: does the component answer right now?"""
    try:
        if probe.http is not None:
            return httpx.get(probe.http, timeout=2.0).is_success
        if probe.tcp is not None:
            host, port = probe.tcp.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=2.0):
                return True
        if probe.kafka is not None:
            admin = AdminClient({"bootstrap.servers": probe.kafka, "log_level": 0})
            metadata = admin.list_topics(timeout=2.0)
            return bool(metadata.brokers)
        if probe.grpc is not None:
            with grpc.insecure_channel(probe.grpc) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=2.0
                )
                return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
        if probe.exec is not None:
            return subprocess.run(probe.exec, capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, httpx.HTTPError, subprocess.TimeoutExpired, KafkaException, grpc.RpcError):
        return False
    raise ValueError("a probe needs one of http, tcp, kafka, grpc or exec")


def wait_until_ready(
    probe: Probe, deadline_seconds: float, still_running: Callable[[], bool] = lambda: True
) -> bool:
    """Polls until the probe answers or the deadline passes."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if answers(probe):
            return True
        if not still_running():
            return False
        time.sleep(POLL_SECONDS)
    return False

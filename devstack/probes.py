"""Readiness probes: a component is up when it answers, never after a fixed sleep."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

import grpc
import httpx
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack.spec import Probe

POLL_SECONDS = 0.25


def _http(url: str) -> bool:
    return httpx.get(url, timeout=2.0).is_success


def _tcp(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=2.0):
        return True


def _kafka(bootstrap: str) -> bool:
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    return bool(admin.list_topics(timeout=2.0).brokers)


def _grpc(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2.0)
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def _connect(url: str) -> bool:
    answer = httpx.get(f"{url}/connectors", params={"expand": "status"}, timeout=2.0)
    return answer.is_success and connectors_running(answer.json())


def _exec(argv: list[str]) -> bool:
    return subprocess.run(argv, capture_output=True, timeout=10, check=False).returncode == 0


# Each probe kind: the Probe field that names its target, and the one attempt it makes.
CHECKS: dict[str, Callable[[Any], bool]] = {
    "http": _http,
    "tcp": _tcp,
    "kafka": _kafka,
    "grpc": _grpc,
    "connect": _connect,
    "exec": _exec,
}


def answers(probe: Probe) -> bool:
    """One attempt: does the component answer right now?"""
    for kind, check in CHECKS.items():
        target = getattr(probe, kind)
        if target is not None:
            try:
                return check(target)
            except (OSError, httpx.HTTPError, subprocess.TimeoutExpired, KafkaException, grpc.RpcError):
                return False
    raise ValueError(f"a probe needs one of {', '.join(CHECKS)}")


def connectors_running(statuses: dict[str, Any]) -> bool:
    """Whether a Connect worker (`/connectors?expand=status`) runs connectors, each RUNNING with
    its tasks assigned and all RUNNING. A restarted worker answers 404 until it has rejoined its
    group and read its configs, so it is not taken for ready on the status it had before."""
    return bool(statuses) and all(
        entry["status"]["connector"]["state"] == "RUNNING"
        and bool(entry["status"]["tasks"])
        and all(task["state"] == "RUNNING" for task in entry["status"]["tasks"])
        for entry in statuses.values()
    )


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

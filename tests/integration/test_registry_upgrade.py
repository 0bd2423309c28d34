"""The registry the previous stack ran (Apicurio 3.0.9) leaves its data; the current one
(3.3.3) starts on that database and keeps every subject, version, id and rule."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from orderflow.inventory.v1.events_pb2 import StockLevel
from orderflow.order.v1.events_pb2 import OrderCreated

from devstack.spec import ROOT
from orderflow_platform.kafka import clients
from orderflow_platform.kafka.serde import ProtobufCodec
from orderflow_platform.settings import RegistrySettings
from tests.integration.helpers import eventually

LIB = ROOT / "var" / "lib"
PREVIOUS = [
    "java",
    "-Xmx384m",
    "-jar",
    str(LIB / "registry-previous" / "apicurio-registry-app-3.0.9-runner.jar"),
]
CURRENT = [
    str(LIB / "registry-java" / "bin" / "java"),
    "-Xmx384m",
    "-jar",
    str(LIB / "registry" / "quarkus-run.jar"),
]
SUPERUSER = "postgresql://postgres:postgres@localhost:5432/postgres"
API, MANAGEMENT = 18081, 19000


@pytest.fixture
def database(unique: str) -> Iterator[str]:
    name = f"registry_upgrade_{unique}"
    with psycopg.connect(SUPERUSER, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER registry")
    yield name
    with psycopg.connect(SUPERUSER, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


class Registry:
    """One registry process on the scratch database, on ports of its own."""

    def __init__(self, command: list[str], database: str, log: Path, health: str) -> None:
        env = {
            **os.environ,
            "QUARKUS_HTTP_HOST": "127.0.0.1",
            "QUARKUS_HTTP_PORT": str(API),
            "QUARKUS_MANAGEMENT_HOST": "127.0.0.1",
            "QUARKUS_MANAGEMENT_PORT": str(MANAGEMENT),
            "APICURIO_STORAGE_KIND": "sql",
            "APICURIO_STORAGE_SQL_KIND": "postgresql",
            "APICURIO_DATASOURCE_URL": f"jdbc:postgresql://localhost:5432/{database}",
            "APICURIO_DATASOURCE_USERNAME": "registry",
            "APICURIO_DATASOURCE_PASSWORD": "registry",
            "APICURIO_CCOMPAT_LEGACY_ID_MODE_ENABLED": "true",
        }
        self._log = log.open("wb")
        self._process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            # Generous: a JVM starting beside the whole stack on two cores.
            eventually(lambda: self._answers(health), 300, every=0.5)
        except BaseException:
            # Never leave a registry behind holding the ports for the next run.
            self.stop()
            raise

    def _answers(self, url: str) -> bool:
        assert self._process.poll() is None, f"the registry exited; see {self._log.name}"
        try:
            return httpx.get(url, timeout=2).is_success
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        self._log.close()


def everything(base: str) -> dict[str, Any]:
    """Every subject's versions with their ids, and the global rule."""
    subjects = {
        subject: {
            version: httpx.get(f"{base}/subjects/{subject}/versions/{version}").json()["id"]
            for version in httpx.get(f"{base}/subjects/{subject}/versions").json()
        }
        for subject in httpx.get(f"{base}/subjects").json()
    }
    return {"subjects": subjects, "config": httpx.get(f"{base}/config").json()}


def test_the_current_registry_upgrades_the_previous_ones_data_in_place(
    database: str, unique: str, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{API}/apis/ccompat/v7"
    previous = Registry(PREVIOUS, database, tmp_path / "previous.log", f"http://127.0.0.1:{API}/health/ready")
    try:
        httpx.put(f"{base}/config", json={"compatibility": "BACKWARD_TRANSITIVE"}).raise_for_status()
        registry = clients.registry_client(RegistrySettings(url=base))
        order = OrderCreated(order_id=f"order-{unique}", user_id=f"user-{unique}")
        written = ProtobufCodec(registry, OrderCreated).encode("orders.created", order)
        ProtobufCodec(registry, StockLevel).encode("inventory.stock", StockLevel(sku="SKU-1"))
        before = everything(base)
    finally:
        previous.stop()
    assert set(before["subjects"]) >= {"orders.created-value", "inventory.stock-value"}

    current = Registry(
        CURRENT, database, tmp_path / "current.log", f"http://127.0.0.1:{MANAGEMENT}/health/ready"
    )
    try:
        assert everything(base) == before
        # What the previous registry's producers wrote still decodes through the new one.
        registry = clients.registry_client(RegistrySettings(url=base))
        assert ProtobufCodec(registry, OrderCreated).decode("orders.created", written) == order
    finally:
        current.stop()

"""Each service's Postgres connections carry its name, so pg_stat_activity and the CPU of
each backend can be put down to the service that holds it."""

from __future__ import annotations

import psycopg

from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually

# The services with connections of their own open while they run (the pools keep one).
SERVICES = {"order_svc", "notify_svc", "projector", "inventory_svc-1", "inventory_svc-2"}


def test_every_service_names_its_postgres_connections(settings: Settings) -> None:
    def named() -> set[str]:
        with psycopg.connect(settings.postgres.dsn, autocommit=True) as conn:
            rows = conn.execute("SELECT DISTINCT application_name FROM pg_stat_activity").fetchall()
        return {name for (name,) in rows}

    eventually(lambda: named() >= SERVICES, deadline_seconds=30)

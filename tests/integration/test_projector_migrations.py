"""The read-model migration goes up and down on an empty and on a populated database,
in a scratch database of its own (the shared one stays as it is)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest

from devstack.spec import ROOT

SUPERUSER = "postgresql://postgres:postgres@localhost:5432"
READ_MODELS = {"orders", "order_lines", "order_status_history", "stock_levels", "orders_per_minute"}


@pytest.fixture
def scratch(unique: str) -> Iterator[str]:
    name = f"scratch_{unique}"
    with psycopg.connect(f"{SUPERUSER}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"{SUPERUSER}/{name}"
        finally:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def alembic(dsn: str, *args: str) -> None:
    env = {**os.environ, "ORDERFLOW_POSTGRES__DSN": dsn}
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), *args],
        env=env,
        check=True,
        cwd=ROOT,
    )


def tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def populate_read_models(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO orders (order_id, user_id, status, total_cents, created_at)"
            " VALUES ('o1', 'u1', 'PENDING', 5, now())"
        )
        conn.execute("INSERT INTO order_lines VALUES ('o1', 1, 'A', 1, 5)")
        conn.execute("INSERT INTO order_status_history VALUES ('o1', 'PENDING', '', now())")
        conn.execute("INSERT INTO stock_levels VALUES ('A', 3, 1, now(), 'o1')")
        conn.execute("INSERT INTO orders_per_minute VALUES (date_trunc('minute', now()), 1)")
        conn.execute("INSERT INTO consumer_checkpoints VALUES ('projector', 'orders.created', 0, 7)")


def test_upgrade_and_downgrade_on_an_empty_database(scratch: str) -> None:
    alembic(scratch, "upgrade", "0002")
    assert READ_MODELS | {"consumer_checkpoints"} <= tables(scratch)
    alembic(scratch, "downgrade", "base")
    assert tables(scratch) == {"alembic_version"}
    alembic(scratch, "upgrade", "head")
    assert tables(scratch) >= READ_MODELS


def test_downgrade_keeps_the_request_ledger_and_upgrade_comes_back(scratch: str) -> None:
    alembic(scratch, "upgrade", "0002")
    with psycopg.connect(scratch) as conn:
        conn.execute(
            "INSERT INTO order_requests (user_id, idempotency_key, order_id, fingerprint, state)"
            " VALUES ('u1', 'k1', 'o1', 'f', 'appended')"
        )
    populate_read_models(scratch)
    alembic(scratch, "downgrade", "0001")
    assert not (READ_MODELS & tables(scratch))
    with psycopg.connect(scratch) as conn:
        assert conn.execute("SELECT order_id FROM order_requests").fetchall() == [("o1",)]
    alembic(scratch, "upgrade", "0002")
    populate_read_models(scratch)


def test_0008_leaves_room_in_the_orders_pages_for_their_decision_and_takes_it_back(scratch: str) -> None:
    alembic(scratch, "upgrade", "0007")
    populate_read_models(scratch)
    alembic(scratch, "upgrade", "0008")
    reloptions = "SELECT reloptions FROM pg_class WHERE relname = 'orders'"
    with psycopg.connect(scratch) as conn:
        assert conn.execute(reloptions).fetchone() == (["fillfactor=70"],)
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (1,)
    alembic(scratch, "downgrade", "0007")
    with psycopg.connect(scratch) as conn:
        assert conn.execute(reloptions).fetchone() == (None,)

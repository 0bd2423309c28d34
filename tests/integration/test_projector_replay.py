"""Replay rebuilds the read models from the topics: the same rows as live, and the live
projector carries on from where the replay ended, counting nothing twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import psycopg
import pytest

from orderflow_platform.settings import Settings
from projector import bootstrap
from projector.entrypoints.consumer import CONSUMER_NAME
from projector.entrypoints.replay import ReplayFailed, ReplayReport, replay
from tests.integration.helpers import eventually
from tests.integration.projector_helpers import Events, scalar, unique_minute, user_rows
from tests.integration.schema_history import order_created

PER_MINUTE = "SELECT orders FROM orders_per_minute WHERE minute = %s"


def test_replay_equals_live_and_hands_over_to_the_live_projector(settings: Settings, unique: str) -> None:
    events, user, at = Events(settings), f"user-{unique}", unique_minute(unique)
    early = events.created(user, at)
    events.rejected(early, user, at + timedelta(seconds=1), "first")
    for lines in range(1, 4):
        events.created(user, at, lines=lines)
    # Old events are replayed forever: a V1 one (read as USD) and a V2 one in euros.
    v1 = events.created(user, at, as_version=order_created("v1"))
    v2 = events.created(user, at, currency="EUR")
    events.flush()
    # Every order decided (by this test or by inventory_svc): nothing of the user changes any more.
    decided = "SELECT count(*) FROM order_status_history JOIN orders USING (order_id) WHERE user_id = %s"
    eventually(lambda: scalar(settings, decided, user) == 12)
    currency = "SELECT currency FROM orders WHERE order_id = %s"
    assert (scalar(settings, currency, v1), scalar(settings, currency, v2)) == ("USD", "EUR")
    # The minute's count comes from the aggregator, through metrics.order.rate.
    eventually(lambda: scalar(settings, PER_MINUTE, at) == 6)
    live = user_rows(settings, user)
    with psycopg.connect(settings.postgres.dsn) as conn:
        before = {row[0] for row in conn.execute("SELECT order_id FROM orders")}

    reports: list[ReplayReport] = []
    with psycopg.connect(settings.postgres.dsn, autocommit=True) as conn:
        report = replay(conn, bootstrap.replay_sources(settings), CONSUMER_NAME, reports.append)

    assert user_rows(settings, user) == live
    assert report.events > 0 and report.rows["orders"] >= len(before)
    with psycopg.connect(settings.postgres.dsn) as conn:
        assert before <= {row[0] for row in conn.execute("SELECT order_id FROM orders")}
        # The replayed table keeps the live one's room for HOT updates (migration 0008).
        options = conn.execute("SELECT reloptions FROM pg_class WHERE oid = 'orders'::regclass").fetchone()
        assert options == (["fillfactor=70"],)
    assert scalar(settings, PER_MINUTE, at) == 6
    events.created(user, at)
    events.flush()
    eventually(lambda: scalar(settings, PER_MINUTE, at) == 7)


def test_a_staging_process_that_fails_fails_the_replay_and_leaves_the_live_tables(
    settings: Settings, unique: str
) -> None:
    events, user = Events(settings), f"user-{unique}"
    order = events.created(user, unique_minute(unique))
    events.flush()
    eventually(lambda: scalar(settings, "SELECT count(*) FROM orders WHERE order_id = %s", order) == 1)
    working = bootstrap.replay_sources(settings)
    # The staging processes cannot reach Postgres: nothing listens on port 1.
    unreachable = replace(working, dsn="postgresql://orderflow@127.0.0.1:1/orderflow?connect_timeout=5")

    with psycopg.connect(settings.postgres.dsn, autocommit=True) as conn, pytest.raises(ReplayFailed):
        replay(conn, unreachable, CONSUMER_NAME, lambda _: None)

    assert scalar(settings, "SELECT count(*) FROM orders WHERE order_id = %s", order) == 1

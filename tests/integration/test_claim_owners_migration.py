"""0004 upgrades order_requests in place: open claims become ownerless and searchable."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from tests.integration.test_projector_migrations import alembic, scratch

__all__ = ["scratch"]  # the fixture, used by name


def test_open_claims_become_ownerless_and_are_searched_from_the_start(scratch: str) -> None:
    alembic(scratch, "upgrade", "0003")
    with psycopg.connect(scratch) as conn:
        conn.execute(
            "INSERT INTO order_requests (user_id, idempotency_key, order_id, fingerprint, state, claimed_at)"
            " VALUES ('u1', 'done', 'o1', 'f', 'appended', now()),"
            " ('u1', 'open', 'o2', 'f', 'claimed', now()),"
            " ('u1', 'abandoned', 'o3', 'f', 'claimed', '-infinity')"
        )
    alembic(scratch, "upgrade", "0004")
    with psycopg.connect(scratch) as conn:
        rows = conn.execute(
            "SELECT idempotency_key, state, owner, claimed_at = 'epoch' FROM order_requests ORDER BY order_id"
        ).fetchall()
        assert rows == [
            ("done", "appended", None, False),
            ("open", "claimed", None, True),
            ("abandoned", "claimed", None, True),
        ]
        (first,) = conn.execute("SELECT nextval('order_svc_instances')").fetchone() or ()
        assert first == 1
        # Every claimed_at reads back as a datetime now (psycopg refuses -infinity).
        times = [row[0] for row in conn.execute("SELECT claimed_at FROM order_requests")]
        assert all(isinstance(t, datetime) and t <= datetime.now(UTC) for t in times)
    alembic(scratch, "downgrade", "0003")
    with psycopg.connect(scratch) as conn:
        assert conn.execute("SELECT count(*) FROM order_requests").fetchone() == (3,)

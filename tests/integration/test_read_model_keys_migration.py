"""0006 makes the read models' keys compare as bytes, in place: rows, indexes and the
queries' plans stay; down again, they go back to the database's collation."""

from __future__ import annotations

import psycopg

from tests.integration.test_projector_migrations import alembic, populate_read_models, scratch

__all__ = ["scratch"]  # the fixture, used by name

KEYS = {
    ("orders", "order_id"),
    ("orders", "user_id"),
    ("order_lines", "order_id"),
    ("order_status_history", "order_id"),
    ("order_status_history", "status"),
    ("stock_levels", "sku"),
}
COLLATIONS = """
SELECT c.table_name, c.column_name, coalesce(c.collation_name, 'default')
FROM information_schema.columns c
WHERE c.table_schema = 'public' AND c.table_name = ANY(%s)
"""


def collations(dsn: str) -> dict[tuple[str, str], str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(COLLATIONS, (sorted({table for table, _ in KEYS}),)).fetchall()
    return {(table, column): collation for table, column, collation in rows if (table, column) in KEYS}


def rows(dsn: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return [
            *conn.execute("SELECT order_id, user_id, status FROM orders ORDER BY order_id").fetchall(),
            *conn.execute("SELECT order_id, line_no, sku FROM order_lines ORDER BY 1, 2").fetchall(),
            *conn.execute("SELECT order_id, status FROM order_status_history ORDER BY 1, 2").fetchall(),
            *conn.execute("SELECT sku, on_hand FROM stock_levels ORDER BY sku").fetchall(),
        ]


def test_the_keys_collate_as_bytes_and_keep_their_rows_up_and_down(scratch: str) -> None:
    alembic(scratch, "upgrade", "0005")
    populate_read_models(scratch)
    with psycopg.connect(scratch) as conn:
        conn.execute(
            "INSERT INTO orders (order_id, user_id, status, total_cents, created_at)"
            " VALUES ('Z', 'u1', 'PENDING', 1, now()), ('a', 'u1', 'PENDING', 1, now()),"
            " ('é', 'u1', 'PENDING', 1, now())"
        )
    before = rows(scratch)
    assert set(collations(scratch).values()) == {"default"}

    alembic(scratch, "upgrade", "0006")
    assert collations(scratch) == dict.fromkeys(KEYS, "C")
    assert rows(scratch) == before
    with psycopg.connect(scratch) as conn:
        ids = [row[0] for row in conn.execute("SELECT order_id FROM orders ORDER BY order_id")]
        assert ids == sorted(ids, key=lambda text: text.encode())
        conn.execute("SET enable_seqscan = off")
        plan = conn.execute("EXPLAIN SELECT * FROM orders WHERE order_id = %s", ("o1",)).fetchall()
        assert "orders_pkey" in str(plan)

    alembic(scratch, "downgrade", "0005")
    assert set(collations(scratch).values()) == {"default"}
    assert rows(scratch) == before

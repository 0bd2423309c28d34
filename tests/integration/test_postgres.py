"""Postgres of the stack, reached with the application role."""

from __future__ import annotations

import psycopg

from orderflow_platform.settings import Settings


def test_application_role_connects_owns_its_database_and_is_not_superuser(
    settings: Settings, unique: str
) -> None:
    with psycopg.connect(settings.postgres.dsn, connect_timeout=10) as conn:
        role = conn.execute(
            "SELECT current_user, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert role == ("orderflow", False, False)
        table = f"probe_{unique}"
        conn.execute(f"CREATE TEMP TABLE {table} (id int primary key)")
        conn.execute(f"INSERT INTO {table} VALUES (1)")
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)

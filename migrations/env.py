"""Runs migrations against the database named by the settings profile."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from orderflow_platform.settings import load_settings


def sqlalchemy_url(dsn: str) -> str:
    # psycopg 3 is the driver the services already use.
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


def run_migrations() -> None:
    engine = create_engine(sqlalchemy_url(load_settings().postgres.dsn))
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()

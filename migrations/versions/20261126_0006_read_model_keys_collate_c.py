"""The read models' text keys compare as bytes (COLLATE "C").

Under the database's collation (C.UTF-8 on the dev stack, often en_US.UTF-8 elsewhere)
Postgres compares text with strcoll and sorts it without abbreviated keys, so a replay's
sorts and index builds over these keys took two to three times as long. The keys are ids
nobody reads in a language's order. In UTF-8, byte order is code point order, which is
C.UTF-8's order, so no order a reader sees changes on the dev stack. Only the indexes are
rebuilt; the tables are not rewritten.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KEYS = {
    "orders": ("order_id", "user_id"),
    "order_lines": ("order_id",),
    "order_status_history": ("order_id", "status"),
    "stock_levels": ("sku",),
}


def _collate(collation: str) -> None:
    for table, columns in KEYS.items():
        changes = ", ".join(f"ALTER COLUMN {column} TYPE text COLLATE {collation}" for column in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _collate('"C"')


def downgrade() -> None:
    _collate('"default"')

"""Read models the projector keeps, and the consumer checkpoints stored beside them.

Every column is derived from event payloads only (never from the time of projection),
so replaying the topics rebuilds rows equal to the live ones.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        # NULL until the OrderCreated is projected: an outcome may arrive first.
        sa.Column("total_cents", sa.BigInteger),
        sa.Column("idempotency_key", sa.Text),
        sa.Column("created_at", TIMESTAMP),
        sa.Column("decided_at", TIMESTAMP),
        sa.CheckConstraint("status IN ('PENDING', 'CONFIRMED', 'REJECTED')", name="orders_status"),
    )
    newest_first = [sa.text("created_at DESC"), sa.text("order_id DESC")]
    # Named as Postgres names it in a copy (CREATE TABLE ... LIKE), so a replayed table
    # swapped in has the same index names as the migrated one.
    op.create_index("orders_user_id_created_at_order_id_idx", "orders", ["user_id", *newest_first])
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "order_status_history",
        sa.Column("order_id", sa.Text, primary_key=True),
        # One row per status an order reaches, so a redelivered event adds nothing.
        sa.Column("status", sa.Text, primary_key=True),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "stock_levels",
        sa.Column("sku", sa.Text, primary_key=True),
        sa.Column("on_hand", sa.BigInteger, nullable=False),
        sa.Column("reserved", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("cause_id", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "orders_per_minute",
        sa.Column("minute", TIMESTAMP, primary_key=True),
        sa.Column("orders", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "consumer_checkpoints",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        # The offset of the next record to process, as Kafka's committed offsets are.
        sa.Column("next_offset", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "consumer_checkpoints",
        "orders_per_minute",
        "stock_levels",
        "order_status_history",
        "order_lines",
        "orders",
    ):
        op.drop_table(table)

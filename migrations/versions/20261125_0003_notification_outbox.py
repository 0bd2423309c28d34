"""notification_outbox: one notice per order outcome and sink, waiting for delivery.

Rows are inserted in the same transaction as the notify consumer's offsets (so each
outcome is recorded exactly once) and delivered from here with retries.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("sink", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        # The event it came from, for the DLQ should delivery be given up.
        sa.Column("source_topic", sa.Text, nullable=False),
        sa.Column("source_value", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.Column("delivered_at", TIMESTAMP),
        sa.CheckConstraint("state IN ('pending', 'delivered', 'parked')", name="notification_outbox_state"),
        sa.CheckConstraint("kind IN ('confirmed', 'out_of_stock')", name="notification_outbox_kind"),
    )
    op.create_index(
        "notification_outbox_due_idx",
        "notification_outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("notification_outbox")

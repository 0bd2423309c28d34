"""order_requests: which order an idempotency key produced, shared by every order_svc.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_requests",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("idempotency_key", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False, unique=True),
        # A digest of the request, so a key reused for a different order is refused.
        sa.Column("fingerprint", sa.Text, nullable=False),
        # 'claimed' while one instance appends the event, 'appended' once Kafka has it.
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("state IN ('claimed', 'appended')", name="order_requests_state"),
    )


def downgrade() -> None:
    op.drop_table("order_requests")

"""orders.currency: the ISO 4217 code of an order's prices (OrderCreated V2).

Orders projected before V2 came from V1 events, whose prices were dollars: they get USD.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("currency", sa.Text, nullable=False, server_default="USD"))


def downgrade() -> None:
    op.drop_column("orders", "currency")

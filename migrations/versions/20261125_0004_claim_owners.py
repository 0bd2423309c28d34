"""order_requests.owner: the order_svc instance appending a claimed order, alive or not.

Each order_svc instance takes a number from `order_svc_instances` and holds a session
advisory lock on it for its whole life; a claim names its owner's number, so a claim
whose owner's lock is gone is known stale at once. `claimed_at` becomes the time of the
key's first claim (no attempt's event is older), where it used to move on each takeover.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE order_svc_instances AS integer")
    # NULL: no live owner (abandoned, or claimed before owners were recorded).
    op.add_column("order_requests", sa.Column("owner", sa.Integer, nullable=True))
    # Claims still open were re-timed by takeovers (or set to -infinity when abandoned), so
    # an earlier attempt's event may be older than claimed_at says: search from the start.
    op.execute("UPDATE order_requests SET claimed_at = 'epoch' WHERE state = 'claimed'")


def downgrade() -> None:
    # An epoch claim is stale under the old rule too, which is what an ownerless one is.
    op.drop_column("order_requests", "owner")
    op.execute("DROP SEQUENCE order_svc_instances")

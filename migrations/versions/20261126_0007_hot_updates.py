"""Room for HOT updates: the outbox's lease in a column of its own, and free space left in
the pages of the two tables whose rows are updated right after they are written.

An update is HOT (no new index entries, no new index pages dirtied) when it changes no
indexed column and the new row version fits on the old one's page. notify's lease pushed
`next_attempt_at` forward, which the due-index covers, so none of the outbox's updates
were HOT; the lease now sets `leased_until`, which no index covers. `fillfactor` keeps
part of each new page free for those versions (an outbox row is about 540 bytes, and a
lease takes up to 100 rows at once). order_requests' claim is marked appended a round trip
after it is written, which was HOT only 59% of the time for want of room. Both are
settings for new pages: nothing is rewritten, and the upgrade is instant.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FILLFACTORS = {"notification_outbox": 60, "order_requests": 80}


def upgrade() -> None:
    # NULL: not leased. A lease taken before this revision pushed next_attempt_at forward,
    # which still holds it until that time.
    op.add_column("notification_outbox", sa.Column("leased_until", sa.DateTime(timezone=True)))
    for table, fillfactor in FILLFACTORS.items():
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})")


def downgrade() -> None:
    for table in FILLFACTORS:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    # A lease still held is dropped: its notice falls due now, and may be sent twice, as
    # after a sender's crash.
    op.drop_column("notification_outbox", "leased_until")

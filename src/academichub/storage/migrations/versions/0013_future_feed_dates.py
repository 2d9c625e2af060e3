"""works filed under a day after today are filed today: a journal issue dated months ahead (or a
feed's bogus 2099) had made itself the newest day, so "latest day" showed that one paper; new
works are filed this way since (storage.work_writes.filed_on). Their updated_at moves too, so the
search index's catch-up files them again on the same day.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:40:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    now = datetime.now(UTC)
    works = sa.table("works", sa.column("feed_date", sa.Date), sa.column("updated_at", sa.DateTime(timezone=True)))
    op.get_bind().execute(sa.update(works).where(works.c.feed_date > now.date())
                          .values(feed_date=now.date(), updated_at=now))


def downgrade() -> None:
    """Nothing to undo: the day a work was filed under before is not kept."""

"""feed batches: a revision bumped when a batch is re-ranked in place (keys the cached feed page);
feedback and library ids never reused on SQLite (their (count, newest id) versions key caches);
seen works indexed by radar and batch (a process reads only the claims since its last look)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('feed_batches') as batch:
        batch.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_seen_works_radar_batch', 'seen_works', ['radar_id', 'batch_id'])
    if op.get_bind().dialect.name == 'sqlite':  # PostgreSQL sequences never hand an id out twice
        for table in ('feedback', 'library_items'):
            with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_autoincrement': True}):
                pass


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index('ix_seen_works_radar_batch', table_name='seen_works')
    with op.batch_alter_table('feed_batches') as batch:
        batch.drop_column('revision')

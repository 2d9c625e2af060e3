"""deliveries: e-mail digests and webhooks per radar

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('radar_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.String(length=500), nullable=True),
    sa.Column('cadence', sa.String(length=8), server_default='daily', nullable=False),
    sa.Column('lang', sa.String(length=8), server_default='zh', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('last_anchor', sa.Date(), nullable=True),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['radar_id'], ['radars.id'], name=op.f('fk_deliveries_radar_id_radars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries'))
    )
    op.create_index(op.f('ix_deliveries_radar_id'), 'deliveries', ['radar_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f('ix_deliveries_radar_id'), table_name='deliveries')
    op.drop_table('deliveries')

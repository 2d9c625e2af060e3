"""briefings and their schedules

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('briefings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('radar_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=64), nullable=False),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['radar_id'], ['radars.id'], name=op.f('fk_briefings_radar_id_radars'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_briefings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefings'))
    )
    op.create_index(op.f('ix_briefings_user_id'), 'briefings', ['user_id'], unique=False)
    op.create_index(op.f('ix_briefings_input_hash'), 'briefings', ['input_hash'], unique=False)
    op.create_index('ix_briefings_radar_created', 'briefings', ['radar_id', 'created_at'], unique=False)
    op.create_table('briefing_schedules',
    sa.Column('radar_id', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('period', sa.String(length=64), server_default='day', nullable=False),
    sa.Column('llm', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('last_anchor', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['radar_id'], ['radars.id'], name=op.f('fk_briefing_schedules_radar_id_radars'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('radar_id', name=op.f('pk_briefing_schedules'))
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('briefing_schedules')
    op.drop_index('ix_briefings_radar_created', table_name='briefings')
    op.drop_index(op.f('ix_briefings_input_hash'), table_name='briefings')
    op.drop_index(op.f('ix_briefings_user_id'), table_name='briefings')
    op.drop_table('briefings')

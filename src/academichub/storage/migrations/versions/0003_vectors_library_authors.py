"""vectors, library, author decisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 23:13:55.240212
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('library_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('item_key', sa.String(length=500), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('doi', sa.String(length=255), nullable=True),
    sa.Column('arxiv_id', sa.String(length=64), nullable=True),
    sa.Column('abstract', sa.Text(), server_default='', nullable=False),
    sa.Column('venue', sa.String(length=1000), nullable=True),
    sa.Column('added', sa.Date(), nullable=True),
    sa.Column('work_id', sa.Integer(), nullable=True),
    sa.Column('match', sa.String(length=16), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=True),
    sa.Column('vector', sa.LargeBinary(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_library_items_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_library_items_work_id_works'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_items')),
    sa.UniqueConstraint('user_id', 'source', 'item_key', name=op.f('uq_library_items_user_id_source_item_key'))
    )
    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_items_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_items_work_id'), ['work_id'], unique=False)

    op.create_table('work_vectors',
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_work_vectors_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_id', 'model', name=op.f('pk_work_vectors'))
    )
    op.create_table('author_decisions',
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('same_person', sa.Boolean(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_author_decisions_subscription_id_subscriptions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_author_decisions_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscription_id', 'work_id', name=op.f('pk_author_decisions'))
    )
    op.create_table('author_profiles',
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('orcid', sa.String(length=32), nullable=True),
    sa.Column('openalex_id', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_author_profiles_subscription_id_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscription_id', name=op.f('pk_author_profiles'))
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('author_profiles')
    op.drop_table('author_decisions')
    op.drop_table('work_vectors')
    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_items_work_id'))
        batch_op.drop_index(batch_op.f('ix_library_items_user_id'))

    op.drop_table('library_items')

"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 21:53:30.377854
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('is_local', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('works',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('arxiv_id', sa.String(length=64), nullable=True),
    sa.Column('arxiv_version', sa.Integer(), nullable=True),
    sa.Column('doi', sa.String(length=255), nullable=True),
    sa.Column('pmid', sa.String(length=32), nullable=True),
    sa.Column('openalex_id', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('abstract', sa.Text(), server_default='', nullable=False),
    sa.Column('primary_category', sa.String(length=64), nullable=True),
    sa.Column('venue', sa.String(length=1000), nullable=True),
    sa.Column('journal_ref', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('submitted', sa.Date(), nullable=True),
    sa.Column('updated', sa.Date(), nullable=True),
    sa.Column('announced', sa.Date(), nullable=True),
    sa.Column('published', sa.Date(), nullable=True),
    sa.Column('feed_date', sa.Date(), nullable=False),
    sa.Column('announce_type', sa.String(length=16), nullable=True),
    sa.Column('license', sa.String(length=1000), nullable=True),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_works')),
    sa.UniqueConstraint('arxiv_id', name=op.f('uq_works_arxiv_id')),
    sa.UniqueConstraint('doi', name=op.f('uq_works_doi')),
    sa.UniqueConstraint('openalex_id', name=op.f('uq_works_openalex_id')),
    sa.UniqueConstraint('pmid', name=op.f('uq_works_pmid'))
    )
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_works_feed_date'), ['feed_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_updated_at'), ['updated_at'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feedback_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_feedback_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_user_id'), ['user_id'], unique=False)

    op.create_table('radars',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('subs_version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_radars_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_radars')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_radars_user_id_name'))
    )
    with op.batch_alter_table('radars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_radars_user_id'), ['user_id'], unique=False)

    op.create_table('work_authors',
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=False),
    sa.Column('name_key', sa.String(length=1000), nullable=False),
    sa.Column('orcid', sa.String(length=32), nullable=True),
    sa.Column('affiliations', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_work_authors_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_id', 'position', name=op.f('pk_work_authors'))
    )
    with op.batch_alter_table('work_authors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_authors_name_key'), ['name_key'], unique=False)

    op.create_table('work_categories',
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_work_categories_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_id', 'category', name=op.f('pk_work_categories'))
    )
    with op.batch_alter_table('work_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_categories_category'), ['category'], unique=False)

    op.create_table('feed_batches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('radar_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('anchor_date', sa.Date(), nullable=True),
    sa.Column('subs_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['radar_id'], ['radars.id'], name=op.f('fk_feed_batches_radar_id_radars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_batches')),
    sa.UniqueConstraint('radar_id', 'number', name=op.f('uq_feed_batches_radar_id_number'))
    )
    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('radar_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.Column('value_key', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['radar_id'], ['radars.id'], name=op.f('fk_subscriptions_radar_id_radars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('radar_id', 'kind', 'value_key', name=op.f('uq_subscriptions_radar_id_kind_value_key'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_radar_id'), ['radar_id'], unique=False)

    op.create_table('batch_items',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['feed_batches.id'], name=op.f('fk_batch_items_batch_id_feed_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_batch_items_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'work_id', name=op.f('pk_batch_items'))
    )
    with op.batch_alter_table('batch_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_items_work_id'), ['work_id'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('batch_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_items_work_id'))

    op.drop_table('batch_items')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_radar_id'))

    op.drop_table('subscriptions')
    op.drop_table('feed_batches')
    with op.batch_alter_table('work_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_categories_category'))

    op.drop_table('work_categories')
    with op.batch_alter_table('work_authors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_authors_name_key'))

    op.drop_table('work_authors')
    with op.batch_alter_table('radars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_radars_user_id'))

    op.drop_table('radars')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_user_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_works_updated_at'))
        batch_op.drop_index(batch_op.f('ix_works_feed_date'))

    op.drop_table('works')
    op.drop_table('users')

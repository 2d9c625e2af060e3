"""serving: stored features, vocabularies, claimed seen works, stored reader models

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    counters = op.create_table('counters',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters')))
    op.bulk_insert(counters, [{'name': 'features', 'value': 0}])
    op.create_table('feature_vocabularies',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('terms', sa.LargeBinary(), nullable=False),
    sa.Column('idf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feature_vocabularies')))
    op.create_table('work_features',
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('vocabulary', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.Column('indices', sa.LargeBinary(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['vocabulary'], ['feature_vocabularies.id'],
                            name=op.f('fk_work_features_vocabulary_feature_vocabularies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_work_features_work_id_works'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_id', 'vocabulary', name=op.f('pk_work_features')))
    op.create_index(op.f('ix_work_features_stamp'), 'work_features', ['stamp'], unique=False)
    op.create_table('seen_works',
    sa.Column('radar_id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['feed_batches.id'], name=op.f('fk_seen_works_batch_id_feed_batches'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['radar_id'], ['radars.id'], name=op.f('fk_seen_works_radar_id_radars'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_seen_works_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('radar_id', 'work_id', name=op.f('pk_seen_works')))
    op.create_index(op.f('ix_seen_works_batch_id'), 'seen_works', ['batch_id'], unique=False)
    # Every work shown so far stays seen: claimed by the first batch that showed it.
    op.execute('INSERT INTO seen_works (radar_id, work_id, batch_id) '
               'SELECT b.radar_id, i.work_id, MIN(b.id) FROM batch_items i '
               'JOIN feed_batches b ON b.id = i.batch_id GROUP BY b.radar_id, i.work_id')
    op.create_table('reader_models',
    sa.Column('radar_id', sa.Integer(), nullable=False),
    sa.Column('inputs', sa.String(length=300), nullable=False),
    sa.Column('vocabulary', sa.Integer(), nullable=False),
    sa.Column('embedding', sa.String(length=100), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('sparse', sa.LargeBinary(), nullable=True),
    sa.Column('sparse_bias', sa.Float(), nullable=False),
    sa.Column('dense', sa.LargeBinary(), nullable=True),
    sa.Column('dense_bias', sa.Float(), nullable=False),
    sa.Column('positives', sa.JSON(), nullable=False),
    sa.Column('positive_vectors', sa.LargeBinary(), nullable=True),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['radar_id'], ['radars.id'], name=op.f('fk_reader_models_radar_id_radars'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('radar_id', name=op.f('pk_reader_models')))
    with op.batch_alter_table('work_vectors') as batch:
        batch.add_column(sa.Column('stamp', sa.BigInteger(), server_default='0', nullable=False))
        batch.create_index(batch.f('ix_work_vectors_stamp'), ['stamp'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('work_vectors') as batch:
        batch.drop_index(batch.f('ix_work_vectors_stamp'))
        batch.drop_column('stamp')
    op.drop_table('reader_models')
    op.drop_index(op.f('ix_seen_works_batch_id'), table_name='seen_works')
    op.drop_table('seen_works')
    op.drop_index(op.f('ix_work_features_stamp'), table_name='work_features')
    op.drop_table('work_features')
    op.drop_table('feature_vocabularies')
    op.drop_table('counters')

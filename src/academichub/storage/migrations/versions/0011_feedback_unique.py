"""feedback unique per reader, paper and action: two likes sent at once stored two rows on
PostgreSQL (the read that looked for an earlier one saw neither); duplicates are dropped first,
keeping the oldest

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:40:00
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.execute("DELETE FROM feedback WHERE id NOT IN "
               "(SELECT MIN(id) FROM feedback GROUP BY user_id, work_id, action)")
    op.create_index('uq_feedback_user_id_work_id_action', 'feedback', ['user_id', 'work_id', 'action'], unique=True)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index('uq_feedback_user_id_work_id_action', table_name='feedback')

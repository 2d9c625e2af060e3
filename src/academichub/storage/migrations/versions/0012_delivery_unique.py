"""one delivery per radar, channel and target: adding the same e-mail address or webhook twice
(a double-clicked form, two requests at once) kept two deliveries and sent every digest twice;
duplicates are dropped first, keeping the oldest

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.execute("DELETE FROM deliveries WHERE id NOT IN "
               "(SELECT MIN(id) FROM deliveries GROUP BY radar_id, channel, target)")
    op.create_index('uq_deliveries_radar_id_channel_target', 'deliveries', ['radar_id', 'channel', 'target'],
                    unique=True)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index('uq_deliveries_radar_id_channel_target', table_name='deliveries')

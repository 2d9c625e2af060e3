"""title keys of titles ending in a parenthesis and a full stop ("… (Extended Version).") are made
again: the key kept the parenthesis, which the same title without the stop drops, so a journal's
record and its preprint did not match (keys.title_key drops the closing stop first since).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    from academichub.storage.rekeying import rekey_titles

    rekey_titles(op.get_bind(), ")")


def downgrade() -> None:
    """Nothing to undo: the old keys were the defect."""

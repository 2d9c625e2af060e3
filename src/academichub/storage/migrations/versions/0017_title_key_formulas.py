"""title keys of titles with a formula are made again: "$\\alpha_s$" keyed as "alpha s" where the
journal's record of the same paper says "αs", so a preprint and its journal version did not match
(keys.title_key reads a formula as text since).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    from academichub.storage.rekeying import rekey_titles

    # Every formula has a "$" or a bracket (\( or \[); which rows changed is Python's to say.
    rekey_titles(op.get_bind(), "$", "(", "[")


def downgrade() -> None:
    """Nothing to undo: the old keys were the defect."""

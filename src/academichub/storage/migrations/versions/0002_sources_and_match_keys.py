"""Source state, run accounting, every identifier of a work, and title match keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:31:53.527348
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('source_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source_key', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('fetched', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('merged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('rejected_reasons', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('not_modified', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_runs'))
    )
    with op.batch_alter_table('source_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_runs_source_key'), ['source_key'], unique=False)

    op.create_table('source_state',
    sa.Column('source_key', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('cursor', sa.Text(), nullable=True),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('window_end', sa.Date(), nullable=True),
    sa.Column('harvested_through', sa.Date(), nullable=True),
    sa.Column('etag', sa.String(length=500), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consecutive_errors', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_kind', sa.String(length=32), nullable=True),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_new_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('source_key', name=op.f('pk_source_state'))
    )
    with op.batch_alter_table('source_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_state_source'), ['source'], unique=False)

    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('title_key', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('first_author_key', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_works_first_author_key'), ['first_author_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_title_key'), ['title_key'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_works_url'), ['url'])
    op.create_table('work_ids',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=1000), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_work_ids_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kind', 'value', name=op.f('pk_work_ids'))
    )
    with op.batch_alter_table('work_ids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_ids_work_id'), ['work_id'], unique=False)
    for kind in ("arxiv_id", "doi", "pmid", "openalex_id"):
        op.execute(f"INSERT INTO work_ids (kind, value, work_id) SELECT '{kind}', {kind}, id FROM works "
                   f"WHERE {kind} IS NOT NULL")
    _backfill_keys()


# The match keys as academichub.keys made them when this revision was written, frozen here so a
# later change to the keys cannot change what this migration does to an old database.
_TAGS = re.compile(r"<[^>]{0,200}>")
_PAREN = re.compile(r"\s*\(([^()]*)\)\s*$")
_NON_ALNUM_ASCII = re.compile(r"[^0-9a-z]+")


def _latex_to_text(text: str) -> str:
    if "\\" not in text:
        return text.replace("{", "").replace("}", "") if "{" in text or "}" in text else text
    from pylatexenc.latex2text import LatexNodes2Text

    try:
        return LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=False).latex_to_text(text)
    except Exception:  # pylatexenc raises assorted errors on malformed input; keep the raw text
        return text


def _name_key(name: str) -> str:
    name = _PAREN.sub("", _latex_to_text(name))
    if name.isascii():
        return " ".join(_NON_ALNUM_ASCII.sub(" ", name.lower()).split())
    decomposed = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def title_key(title: str) -> str:
    return _name_key(_TAGS.sub("", title))[:300]


def family_key(author_key: str) -> str:
    return author_key.rsplit(" ", 1)[-1] if author_key else ""


def _backfill_keys() -> None:
    """Fill the new match keys of works stored before this revision."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT w.id, w.title, a.name_key FROM works w "
        "LEFT JOIN work_authors a ON a.work_id = w.id AND a.position = 0")).fetchall()
    updates = [{"i": i, "t": title_key(t), "f": family_key(k or "")} for i, t, k in rows]
    for start in range(0, len(updates), 2000):
        conn.execute(sa.text("UPDATE works SET title_key = :t, first_author_key = :f WHERE id = :i"),
                     updates[start:start + 2000])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('work_ids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_ids_work_id'))
    op.drop_table('work_ids')
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_works_url'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_works_title_key'))
        batch_op.drop_index(batch_op.f('ix_works_first_author_key'))
        batch_op.drop_column('first_author_key')
        batch_op.drop_column('title_key')
        batch_op.drop_column('url')

    with op.batch_alter_table('source_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_state_source'))

    op.drop_table('source_state')
    with op.batch_alter_table('source_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_runs_source_key'))

    op.drop_table('source_runs')

"""Merging two descriptions of one work: idempotent, newest version wins, first announcement kept."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from academichub.ingest.merge import merge
from academichub.model import Author, Paper

authors = st.lists(st.builds(lambda n: Author(n, n.lower()), st.sampled_from(["A B", "C D", "E F"])),
                   max_size=3, unique=True)
papers = st.builds(
    lambda v, t, a, doi, ann: Paper(title=t, source="arxiv", arxiv_id="2509.00009", arxiv_version=v,
                                       authors=a, doi=doi, announced=ann, categories=["cs.AI"],
                                       links={"abs": "https://arxiv.org/abs/2509.00009"}),
    st.one_of(st.none(), st.integers(1, 4)), st.sampled_from(["", "T1", "T2"]), authors,
    st.one_of(st.none(), st.just("10.1/x")), st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2025, 12, 31))))


@hyp_settings(max_examples=200)
@given(existing=papers, incoming=papers)
def test_merge_is_idempotent(existing: Paper, incoming: Paper) -> None:
    once = merge(existing, incoming)
    assert merge(once, incoming) == once
    assert once.announced == min((d for d in (existing.announced, incoming.announced) if d), default=None)


def test_older_version_does_not_overwrite_newer_text() -> None:
    newer = Paper(title="v3 title", source="arxiv", arxiv_id="2509.1", arxiv_version=3, abstract="new")
    older = Paper(title="v1 title", source="arxiv", arxiv_id="2509.1", arxiv_version=1, abstract="old",
                  journal_ref="J. Phys. 1 (2025)")
    merged = merge(newer, older)
    assert (merged.title, merged.abstract, merged.arxiv_version) == ("v3 title", "new", 3)
    assert merged.journal_ref == "J. Phys. 1 (2025)"  # a gap is still filled from the older record

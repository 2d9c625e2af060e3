"""arXiv daily listings (2024+ format) in RSS 2.0, Atom and feedparser JSON."""

from __future__ import annotations

import gzip
from collections import Counter
from datetime import date

import pytest

from academichub.errors import ParseError
from academichub.model import Paper
from academichub.sources import arxiv_listing
from tests.conftest import DATA

LISTING = DATA / "arxiv_listing"


@pytest.fixture(scope="module")
def rss() -> arxiv_listing.Listing:
    return arxiv_listing.parse((LISTING / "rss_2025-04-04.xml").read_bytes())


def test_rss_listing_fields(rss: arxiv_listing.Listing) -> None:
    assert rss.day == date(2025, 4, 4)
    assert len(rss.items) == 88 and all(isinstance(p, Paper) for p in rss.items)
    first = rss.items[0]
    assert (first.arxiv_id, first.arxiv_version) == ("2504.01979", 1)
    assert first.title.startswith("Correlation-Attention Masked Temporal Transformer for User Identity Linkage")
    assert [a.name for a in first.authors[:3]] == ["Ziang Yan", "Xingyu Zhao", "Hanqing Ma"]
    assert first.announce_type == "new" and first.announced == date(2025, 4, 4)
    assert first.abstract.startswith("With the rise of social media")
    assert first.links["abs"] == "https://arxiv.org/abs/2504.01979"


def test_announce_type_is_a_field_and_the_abstract_is_clean(rss: arxiv_listing.Listing) -> None:
    counts = Counter(p.announce_type for p in rss.items)
    assert counts == {"replace": 35, "cross": 22, "replace-cross": 16, "new": 15}
    for paper in rss.items:
        assert "Announce Type" not in paper.abstract and not paper.abstract.startswith("arXiv:")
        assert not paper.abstract.startswith("Abstract:")


def test_replacements_update_rather_than_announce(rss: arxiv_listing.Listing) -> None:
    replaced = next(p for p in rss.items if p.arxiv_id == "2305.06361")
    assert replaced.announce_type == "replace" and replaced.arxiv_version == 4
    assert replaced.announced is None and replaced.updated == date(2025, 4, 4)


def test_item_categories_primary_first(rss: arxiv_listing.Listing) -> None:
    cross = next(p for p in rss.items if p.arxiv_id == "2504.02216")
    assert cross.categories == ["eess.IV", "cs.CV"] and cross.primary_category == "eess.IV"
    assert sum(1 for p in rss.items if p.categories) == 28


def test_atom_listing_matches_rss(rss: arxiv_listing.Listing) -> None:
    atom = arxiv_listing.parse((LISTING / "atom_2025-04-04.xml").read_bytes())
    assert atom.day == date(2025, 4, 4)
    pairs = list(zip(rss.items, atom.items, strict=True))
    for r, a in pairs:
        assert (r.arxiv_id, r.arxiv_version, r.title, r.announce_type, r.categories, r.abstract) == (
            a.arxiv_id, a.arxiv_version, a.title, a.announce_type, a.categories, a.abstract)
        assert [x.name for x in r.authors] == [x.name for x in a.authors]


def test_feedparser_cache_parses_every_listing(rss: arxiv_listing.Listing) -> None:
    listings = arxiv_listing.parse_feedparser_json(gzip.open(LISTING / "rss_cache_2025-04-04.json.gz").read())
    assert [len(x.items) for x in listings] == [462, 10]
    by_id = {p.arxiv_id: p for p in listings[0].items}
    for paper in rss.items:  # the XML was rebuilt from this cache: same records
        assert by_id[paper.arxiv_id].title == paper.title
        assert by_id[paper.arxiv_id].announce_type == paper.announce_type


def test_single_category_feed_title_gives_the_category() -> None:
    data = b"""<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
    <title>cs.CL updates on arXiv.org</title><pubDate>Mon, 06 Oct 2025 00:00:00 -0400</pubDate>
    <item><title>T</title><link>https://arxiv.org/abs/2510.00001</link>
    <description>arXiv:2510.00001v1 Announce Type: new Abstract: Text.</description>
    <guid isPermaLink="false">oai:arXiv.org:2510.00001v1</guid><dc:creator>A. Author</dc:creator></item>
    </channel></rss>"""
    (paper,) = arxiv_listing.parse(data).items
    assert paper.categories == ["cs.CL"] and paper.announced == date(2025, 10, 6)


@pytest.mark.parametrize("data, message", [
    (b"", "empty response"),
    (b"<rss><channel><item>", "malformed XML"),
    (b"<html><body>Service unavailable</body></html>", "expected an RSS or Atom listing"),
    (b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
         <rss><channel><title>&b;</title></channel></rss>""", "declares entities"),
])
def test_bad_listings_fail_with_a_named_parse_error(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=f"arxiv-listing: .*{message}"):
        arxiv_listing.parse(data)


def test_a_feedparser_summary_is_html_and_reads_as_the_listing_xml_does() -> None:
    # feedparser gives a description as HTML: the cached listing's "S&amp;P500" and "Q\&amp;A"
    # were stored and shown as written.
    from academichub.ingest.sanitise import sanitise_paper
    from academichub.sources.formats import read_items

    cached = {p.arxiv_id: sanitise_paper(p) for p in read_items(DATA / "arxiv_listing/rss_cache_2025-04-04.json.gz")[1]
              if isinstance(p, Paper)}
    abstracts = " ".join(p.abstract for p in cached.values())
    assert "stock price fluctuation pattern in S&P500." in abstracts and "&amp;" not in abstracts
    assert "multi-turn Q\\&A interactions" in abstracts  # arXiv's own TeX escape, typeset on the page
    listed = {p.arxiv_id: sanitise_paper(p) for p in read_items(DATA / "arxiv_listing/rss_2025-04-04.xml")[1]
              if isinstance(p, Paper)}
    assert len(set(cached) & set(listed)) == 88
    assert all(cached[i].abstract == listed[i].abstract for i in set(cached) & set(listed))

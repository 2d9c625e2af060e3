"""arXiv query API: Atom pages, errors, paging and politeness over the transport seam."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from academichub.errors import ProtocolError
from academichub.sources import arxiv_api
from academichub.sources.arxiv_common import ArxivSettings
from academichub.sources.contract import HttpSettings
from academichub.sources.http import HttpClient
from tests.conftest import DATA

API = DATA / "arxiv_api"


def test_page_totals_and_fields() -> None:
    page = arxiv_api.parse((API / "q_testing_s0_m10_bc5a6c384fe9.atom.xml").read_bytes())
    assert (page.total, page.start, page.per_page, len(page.items)) == (214881, 0, 10, 10)
    paper = page.items[0]
    assert (paper.arxiv_id, paper.arxiv_version) == ("2202.12139", 1)
    assert paper.doi == "10.1109/icstw55395.2022.00035"
    assert paper.primary_category == "cs.SE" and paper.categories == ["cs.SE", "cs.LG"]
    assert paper.comment == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert paper.journal_ref.startswith("Artificial Intelligence in Software Testing @ 2022 IEEE")
    assert [a.name for a in paper.authors] == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert paper.submitted == date(2022, 2, 24) and paper.links["doi"].endswith("00035")


def test_old_style_ids_and_affiliations() -> None:
    (paper,) = arxiv_api.parse((API / "id_astro-ph_0601001_s0_m100_3150dca9dc76.atom.xml").read_bytes()).items
    assert (paper.arxiv_id, paper.arxiv_version) == ("astro-ph/0601001", 1)
    assert paper.authors[0].affiliations == ("Ohio State",)
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"


def test_versioned_id_and_legacy_format() -> None:
    (paper,) = arxiv_api.parse((API / "id_2104.12255v1_s0_m100_6ae69987ffe1.atom.xml").read_bytes()).items
    assert paper.arxiv_id == "2104.12255" and paper.arxiv_version == 1
    legacy = arxiv_api.parse((API / "legacy_2016_search_au_del_maestro.atom.xml").read_bytes())
    assert legacy.total == 31 and len(legacy.items) == 10
    assert legacy.items[0].title == "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"


def test_error_feed_raises_and_empty_feed_is_empty() -> None:
    with pytest.raises(ProtocolError, match="arxiv-api: incorrect id format for abc"):
        arxiv_api.parse((API / "id_abc_s0_m100_b79c8dcf6bc3.atom.xml").read_bytes())
    empty = arxiv_api.parse((API / "id_0000.0000_s0_m100_8b51d9633a68.atom.xml").read_bytes())
    assert empty.total == 0 and empty.items == []


class FakeClock:
    """A monotonic clock that advances only when the code sleeps."""

    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def test_fetch_pages_politely_until_max_results() -> None:
    pages = {"0": "q_testing_s0_m10_bc5a6c384fe9", "10": "q_testing_s10_m10_34e56e15aaac"}
    seen: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        query = parse_qs(urlsplit(str(request.url)).query)
        seen.append(query)
        return httpx.Response(200, content=(API / f"{pages[query['start'][0]]}.atom.xml").read_bytes())

    clock = FakeClock()
    settings = ArxivSettings(page_size=10)  # the polite default: 3 s between requests
    with HttpClient(HttpSettings(), transport=httpx.MockTransport(handler), clock=clock, sleep=clock.sleep) as client:
        results = list(arxiv_api.fetch(client, settings, search_query="all:testing", max_results=20))
    assert [q["start"] for q in seen] == [["0"], ["10"]]
    assert seen[0]["search_query"] == ["all:testing"] and seen[0]["max_results"] == ["10"]
    assert sum(len(p.items) for p in results) == 20
    assert clock.sleeps == [3.0]  # the second request waited arXiv's 3 seconds


def test_author_query_quotes_the_name() -> None:
    assert arxiv_api.author_query('Jianxiang He') == 'au:"Jianxiang He"'
    assert arxiv_api.author_query('Evil" OR all:x') == 'au:"Evil OR all:x"'

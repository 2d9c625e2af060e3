"""arXiv OAI-PMH: both metadata formats, resumption tokens, dates, and OAI error codes."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from academichub.errors import ProtocolError
from academichub.sources import arxiv_oai
from academichub.sources.arxiv_common import ArxivSettings
from academichub.sources.contract import HttpSettings
from academichub.sources.http import HttpClient
from tests.conftest import DATA

OAI = DATA / "arxiv_oai"


def test_arxivraw_page_versions_and_token() -> None:
    page = arxiv_oai.parse((OAI / "arXivRaw_ListRecords_2015-01-06_with_resumptionToken.xml").read_bytes())
    assert page.resumption_token == "726959|1001" and page.complete_list_size == 58011
    assert [p.arxiv_id for p in page.items] == ["0704.0471", "0704.0716", "0704.0874", "0704.1109",
                                                 "0704.1114", "0704.1586"]
    multi = page.items[1]
    assert multi.arxiv_version == 4
    assert multi.submitted == date(2007, 4, 5) and multi.updated == date(2008, 11, 14)
    first = page.items[0]
    assert [a.name for a in first.authors] == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    assert first.doi == "10.1103/physrevc.76.024606"  # the first of two DOIs
    assert first.categories == ["nucl-ex", "nucl-th"] and first.primary_category == "nucl-ex"


def test_arxiv_format_structured_authors_and_license() -> None:
    page = arxiv_oai.parse((OAI / "arXiv_ListRecords_physics-hep-th_2017-12-14.xml").read_bytes())
    assert page.resumption_token is None and len(page.items) == 3
    paper = page.items[0]
    assert paper.arxiv_id == "1412.8323" and [a.name for a in paper.authors] == ["Philipp A Hoehn"]
    assert paper.submitted == date(2014, 12, 29) and paper.updated == date(2017, 12, 13)
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert paper.primary_category == "quant-ph" and "physics.hist-ph" in paper.categories


def test_records_without_the_format_namespace_still_parse() -> None:
    page = arxiv_oai.parse((OAI / "arXiv_GetRecord_envelope_12records_hepcrawl_sample.xml").read_bytes())
    assert len(page.items) == 12
    assert page.items[0].arxiv_id == "1601.03238" and page.items[0].authors[1].name == "Jieci Wang"


def test_no_records_match_is_an_empty_result() -> None:
    page = arxiv_oai.parse((OAI / "error_NoRecordsMatch.xml").read_bytes())
    assert page.items == [] and page.resumption_token is None


@pytest.mark.parametrize("name, code", [("error_BadResumptionToken", "badResumptionToken"),
                                        ("error_BadArgument", "badArgument")])
def test_other_oai_errors_raise_with_their_code(name: str, code: str) -> None:
    with pytest.raises(ProtocolError, match=f"arxiv-oai: OAI error {code}") as caught:
        arxiv_oai.parse((OAI / f"{name}.xml").read_bytes())
    assert caught.value.code == code


def test_harvest_follows_resumption_tokens_with_from_until_and_set() -> None:
    requests: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        query = parse_qs(urlsplit(str(request.url)).query)
        requests.append(query)
        name = "error_NoRecordsMatch" if "resumptionToken" in query else \
            "arXivRaw_ListRecords_2015-01-06_with_resumptionToken"
        return httpx.Response(200, content=(OAI / f"{name}.xml").read_bytes())

    with HttpClient(HttpSettings(), transport=httpx.MockTransport(handler), sleep=lambda s: None) as client:
        pages = list(arxiv_oai.fetch(client, ArxivSettings(min_interval=0), metadata_prefix="arXivRaw",
                                     from_=date(2014, 10, 1), until=date(2014, 10, 2), set_spec="physics:nucl-ex"))
    assert requests[0] == {"verb": ["ListRecords"], "metadataPrefix": ["arXivRaw"], "from": ["2014-10-01"],
                           "until": ["2014-10-02"], "set": ["physics:nucl-ex"]}
    assert requests[1] == {"verb": ["ListRecords"], "resumptionToken": ["726959|1001"]}
    assert [len(p.items) for p in pages] == [6, 0]


def test_unknown_metadata_prefix_is_refused() -> None:
    with HttpClient(HttpSettings()) as client, pytest.raises(ValueError, match="metadata prefix"):
        next(arxiv_oai.fetch(client, ArxivSettings(), metadata_prefix="oai_dc"))


def test_a_resumption_token_sent_again_ends_the_harvest_with_an_error() -> None:
    # A broken endpoint that answers every token with the same page and token had the harvest
    # fetch that page for ever.
    served = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal served
        served += 1
        return httpx.Response(200, content=(OAI / "arXivRaw_ListRecords_2015-01-06_with_resumptionToken.xml").read_bytes())

    pages = []
    with HttpClient(HttpSettings(), transport=httpx.MockTransport(handler), sleep=lambda s: None) as client, \
            pytest.raises(ProtocolError, match="a second time") as raised:
        for page in arxiv_oai.fetch(client, ArxivSettings(min_interval=0), metadata_prefix="arXivRaw"):
            pages.append(page)
            assert served < 10, "the harvest loops"
    assert raised.value.code == "cursor-loop" and len(pages) == 2 and served == 2

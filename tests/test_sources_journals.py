"""Crossref, OpenAlex, PubMed, bioRxiv and journal RSS parsers over recorded real responses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from academichub.errors import ParseError
from academichub.model import Paper, Rejected
from academichub.sources import biorxiv, crossref, journal_rss, openalex, pubmed
from academichub.sources.formats import read_items
from academichub.sources.records import notice_title
from tests.conftest import DATA


def papers(items: list) -> list[Paper]:  # type: ignore[type-arg]
    return [i for i in items if isinstance(i, Paper)]


@pytest.mark.parametrize("path", sorted((DATA / "crossref").glob("works_*.json")), ids=lambda p: p.name)
def test_every_crossref_response_parses(path: Path) -> None:
    page = crossref.parse(path.read_bytes())
    assert page.items and all(isinstance(i, (Paper, Rejected)) for i in page.items)
    assert all(p.doi and p.title for p in papers(page.items))


def test_crossref_fields() -> None:
    (paper,) = crossref.parse((DATA / "crossref/works_doi_10.1002_jor.1100150407.json").read_bytes()).items
    assert paper.doi == "10.1002/jor.1100150407" and paper.source == "crossref"
    assert paper.title == ("Growth hormone secretagogue increases muscle strength during remobilization after "
                           "canine hindlimb immobilization")
    assert paper.venue == "Journal of Orthopaedic Research" and paper.published == date(2005, 2, 18)
    assert paper.abstract.startswith("Twenty‐two beagles were divided") and "<jats" not in paper.abstract
    assert not paper.abstract.startswith("Abstract")
    assert [a.name for a in paper.authors[:2]] == ["Richard L. Lieber", "Thomas M. Jacks"]
    page = crossref.parse((DATA / "crossref/works_query_widget_cursor_star.json").read_bytes())
    assert page.total == 454 and page.next_cursor.startswith("DnF1ZXJ5VGhlbkZldGNo")
    assert [r.reason for r in page.items if isinstance(r, Rejected)] == ["type dataset"] * 3


def test_crossref_orcid_affiliation_and_preprint_relation() -> None:
    page = crossref.parse((DATA / "crossref/works_query_ecology_query.author.json").read_bytes())
    first = page.items[0]
    boettiger = first.authors[0]
    assert boettiger.name == "Carl Boettiger" and boettiger.orcid == "0000-0002-1642-628X"
    assert boettiger.affiliations[0].startswith("Department of Environmental Science, Policy, and Management")
    journal = next(p for p in papers(page.items) if p.doi == "10.1002/ece3.2314")
    assert journal.also == (("doi", "10.1101/014852"),)  # has-preprint: its bioRxiv preprint


def test_entities_and_line_breaks_in_journal_metadata_become_text() -> None:
    # Crossref and OpenAlex titles carry HTML entities with no tag ("R&amp;D"): stored as is, a card
    # showed "R&amp;D". A <br> between two words joined them.
    item = {"DOI": "10.1000/x", "type": "journal-article", "title": ["R&amp;D spillovers &lt;and&gt; growth"],
            "container-title": ["Research &amp; Policy"], "abstract": "<jats:p>First line<br/>second line</jats:p>"}
    paper = crossref.work(item)
    assert (paper.title, paper.venue) == ("R&D spillovers <and> growth", "Research & Policy")
    assert paper.abstract == "First line second line"
    assert openalex.work({"id": "https://openalex.org/W1", "title": "Q&amp;A for AT&T"}).title == "Q&A for AT&T"


def test_openalex_work_fields_and_entities() -> None:
    (paper,) = openalex.parse((DATA / "openalex/W2741809807.json").read_bytes()).items
    assert (paper.openalex_id, paper.pmid) == ("W2741809807", "29456894")
    assert paper.doi == "https://doi.org/10.7717/peerj.4375"  # sanitised to 10.7717/peerj.4375 on ingest
    assert paper.title.startswith("The state of OA") and paper.venue == "PeerJ"
    assert paper.abstract.startswith("Despite growing interest in Open Access (OA) to scholarly literature")
    assert paper.authors[0].name == "Heather Piwowar" and paper.authors[0].orcid == "0000-0003-1613-5981"
    assert paper.published == date(2018, 2, 13)
    (old,) = openalex.parse((DATA / "openalex/W-api-response.json").read_bytes()).items
    assert old.venue == "Physical Review Letters" and old.title.startswith("GW170104")
    for entity in ("A5023888391", "S137773608", "I27837315", "T11636", "C71924100"):
        (item,) = openalex.parse((DATA / f"openalex/{entity}.json").read_bytes()).items
        assert item == Rejected("not a work", ref=f"https://openalex.org/{entity}")


def test_openalex_abstract_rebuild_and_arxiv_location() -> None:
    assert openalex.rebuild_abstract({"world": [1], "Hello": [0], "again": [3], "hello": [2]}) == \
        "Hello world hello again"
    work = {"id": "https://openalex.org/W1", "title": "T", "locations": [
        {"landing_page_url": "https://arxiv.org/abs/2504.01979v2"}]}
    assert openalex.work(work).arxiv_id == "2504.01979"


@pytest.mark.parametrize("name, count", [("pubmed1", 2), ("pubmed2", 2), ("pubmed4", 1), ("pubmed5", 1),
                                         ("pubmed6", 1), ("pubmed7", 1), ("esummary1", 2), ("efetch_pmc", 0)])
def test_every_pubmed_response_parses(name: str, count: int) -> None:
    items = pubmed.parse((DATA / f"pubmed/{name}.xml").read_bytes())
    assert len(papers(items)) == count and all(p.pmid and p.title for p in papers(items))


def test_pubmed_fields_structured_abstract_and_dates() -> None:
    (paper,) = pubmed.parse((DATA / "pubmed/pubmed4.xml").read_bytes())
    assert paper.pmid == "27797938" and paper.doi == "10.1136/gutjnl-2016-312510"
    assert paper.title.startswith("Leucocyte telomere length, genetic variants")
    assert paper.abstract.startswith("Objective: ") and "\n\nDesign: " in paper.abstract
    assert paper.published == date(2016, 10, 21) and paper.announced == date(2016, 11, 1)
    assert paper.venue == "Gut" and paper.authors[0].affiliations
    old = pubmed.parse((DATA / "pubmed/pubmed1.xml").read_bytes())[1]
    assert old.pmid == "9997" and old.published == date(1976, 9, 28)


def test_pubmed_search_and_non_work_answers() -> None:
    found = pubmed.parse_search((DATA / "pubmed/esearch1.xml").read_bytes())
    assert found.count == 63 and len(found.ids) == 20 and found.ids[0] == "41282813" and found.web_env is None
    for name in ("esearch1", "elink1"):
        with pytest.raises(ParseError, match="lists ids, not works"):
            pubmed.parse((DATA / f"pubmed/{name}.xml").read_bytes())


def test_notices_about_other_articles_are_not_papers() -> None:
    """A correction, an erratum or a retraction notice came in as a paper: the recorded PMC article
    is a correction whose title is the corrected article's citation, and it was a card."""
    (pmc,) = pubmed.parse((DATA / "pubmed/efetch_pmc.xml").read_bytes())
    assert isinstance(pmc, Rejected) and pmc.reason == "notice (correction)"
    article = (DATA / "pubmed/pubmed4.xml").read_bytes()
    assert papers(pubmed.parse(article))
    erratum = article.replace(b">Journal Article</PublicationType>", b">Published Erratum</PublicationType>")
    assert [r.reason for r in pubmed.parse(erratum)] == ["notice (Published Erratum)"]
    summaries = (DATA / "pubmed/esummary1.xml").read_bytes()
    retraction = summaries.replace(b">Journal Article</Item>", b">Retraction of Publication</Item>", 1)
    found = pubmed.parse(retraction)
    assert len(papers(found)) == 1 and [r.reason for r in found if isinstance(r, Rejected)] == [
        "notice (Retraction of Publication)"]
    document = json.loads((DATA / "crossref/works_query_ecology_query.author.json").read_text())
    items = document["message"]["items"]
    items[0]["update-to"] = [{"DOI": "10.1111/ele.1", "type": "correction", "label": "Correction"}]
    items[1]["update-to"] = [{"DOI": "10.1111/ele.2", "type": "new_version", "label": "New version"}]
    parsed = crossref.parse(json.dumps(document).encode()).items
    assert isinstance(parsed[0], Rejected) and parsed[0].reason == "notice (correction)"
    assert not isinstance(parsed[1], Rejected)  # a new version of a work is a work
    entity = json.loads((DATA / "openalex/W2741809807.json").read_bytes())
    assert entity["type"] == "article" and isinstance(openalex.work(entity), Paper)
    assert openalex.work({**entity, "type": "erratum"}).reason == "type erratum"
    assert openalex.work({**entity, "title": "Erratum: " + entity["title"]}).reason == "notice (erratum)"
    items = document["message"]["items"]
    items[2]["title"] = ["Correction to: " + items[2]["title"][0]]
    assert crossref.parse(json.dumps(document).encode()).items[2].reason == "notice (correction to)"
    for title in ("Correction to the Born approximation", "Correction for attenuation in meta-analysis",
                  "Error correction: a new code", "Retraction dynamics in science"):
        assert notice_title(title) is None, title
    assert notice_title("Correction for Van der Berg et al., A title") == "correction"


def test_biorxiv_details_fields() -> None:
    page = biorxiv.parse((DATA / "biorxiv/details_10.1101_641381.json").read_bytes())
    assert (page.total, page.count) == (2, 2)
    first, second = page.items
    assert first.doi == "10.1101/641381" and first.source == "biorxiv"
    assert [a.name for a in first.authors[:2]] == ["H. Tachiwana", "M. Dacher"]
    assert first.categories == ["biochemistry"] and first.announced == date(2019, 5, 17)
    assert second.announced is None and second.updated == date(2019, 10, 13)
    assert first.links["pdf"] == "https://www.biorxiv.org/content/10.1101/641381v1.full.pdf"
    journal = biorxiv.record({"doi": "10.1101/2021.04.29.21256344", "title": "T", "authors": "A, B.",
                              "date": "2021-05-03", "version": "1", "published": "10.1371/journal.pone.0256482",
                              "server": "medRxiv", "category": "cardiovascular medicine"})
    assert journal.source == "medrxiv" and journal.also == (("doi", "10.1371/journal.pone.0256482"),)


def test_nature_rdf_feed() -> None:
    items = journal_rss.parse((DATA / "journal_rss/nature_current_2024-07-18.rdf.xml").read_bytes())
    assert len(items) == 75
    # Nature's feed says nothing of a correction but its title: the four "Author Correction: …" were cards.
    notices = [i for i in items if isinstance(i, Rejected)]
    assert [n.reason for n in notices] == ["notice (author correction)"] * 4
    assert {n.ref for n in notices} >= {"10.1038/s41586-024-07790-6"}
    first = items[0]
    assert first.title == "Catalysis of an SN2 pathway by geometric preorganization"  # <sub> markup removed
    assert first.doi == "10.1038/s41586-024-07811-4" and first.venue == "Nature"
    assert [a.name for a in first.authors] == ["Gabriel J. Lovinger", "Marcus H. Sak", "Eric N. Jacobsen"]
    assert first.published == date(2024, 7, 18) and first.abstract == ""  # the summary only repeats the title
    news = items[1]
    assert news.abstract.startswith("Inhibiting a protein associated with chronic inflammation")
    assert "Published online" not in news.abstract


def test_presets_and_urls() -> None:
    assert journal_rss.feed_url("nature") == "https://www.nature.com/nature.rss"
    assert journal_rss.feed_url("https://example.org/feed.xml") == "https://example.org/feed.xml"
    with pytest.raises(ValueError, match="neither a preset"):
        journal_rss.feed_url("natur")


@pytest.mark.parametrize("fmt, path", [
    ("crossref", "crossref/works_query.json"), ("openalex", "openalex/W2741809807.json"),
    ("pubmed", "pubmed/pubmed2.xml"), ("biorxiv", "biorxiv/details_10.1101_641381.json"),
    ("journal-rss", "journal_rss/nature_current_2024-07-18.rdf.xml"),
])
def test_files_of_every_source_are_detected_and_read(fmt: str, path: str) -> None:
    detected, items = read_items(DATA / path)
    assert detected == fmt and papers(list(items))


def test_a_date_that_does_not_exist_leaves_the_work_undated_and_the_page_whole() -> None:
    # Year 0 and a 20-digit year (OverflowError, not ValueError) in recorded PubMed answers.
    summaries = (DATA / "pubmed/esummary1.xml").read_bytes()
    summaries = summaries.replace(b">1965 Aug<", b">0000 Aug<").replace(b">2001 Jun<", b">99999999999999999999 Jun<")
    found = papers(pubmed.parse(summaries))
    assert len(found) == 2 and [p.published for p in found] == [None, None]
    articles = (DATA / "pubmed/pubmed1.xml").read_bytes().replace(b"<Year>1976</Year><Month>Sep</Month>",
                                                                  b"<Year>99999999999999999999</Year><Month>Sep</Month>")
    old = pubmed.parse(articles)
    assert len(papers(old)) == 2 and old[1].pmid == "9997" and old[1].published is None
    # Crossref: an "indexed" year past a C int keeps the work (undated), as any impossible date.
    work = json.loads((DATA / "crossref/works_doi_10.1038_srep16696.json").read_bytes())
    work["message"]["indexed"]["date-parts"] = [[2**31]]
    work["message"]["published"] = {"date-parts": [[2024, 13, 1]]}
    (paper,) = papers(crossref.parse(json.dumps(work).encode()).items)
    assert paper.doi == "10.1038/srep16696" and paper.updated is None


def test_a_cycle_of_crossref_cursors_ends_the_harvest_with_an_error() -> None:
    # The recorded page, its next-cursor alternating between two values: the harvest fetched the
    # same two pages for ever.
    import httpx

    from academichub.errors import ProtocolError
    from academichub.sources.contract import HttpSettings
    from academichub.sources.http import HttpClient

    recorded = json.loads((DATA / "crossref/works_query_widget_cursor_star.json").read_bytes())
    served: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        served.append(request.url.params["cursor"])
        recorded["message"]["next-cursor"] = "A" if len(served) % 2 else "B"
        return httpx.Response(200, json=recorded)

    with HttpClient(HttpSettings(), transport=httpx.MockTransport(handler), sleep=lambda s: None) as client, \
            pytest.raises(ProtocolError, match="a second time"):
        for _page in crossref.fetch(client, crossref.CrossrefSettings(min_interval=0), query="widget"):
            assert len(served) < 10, "the harvest loops"
    assert served == ["*", "A", "B"]


def test_a_biorxiv_server_that_ignores_the_cursor_ends_the_harvest_with_an_error() -> None:
    # The recorded page over and over, with a total of a million: fetched until the count reached it.
    import httpx

    from academichub.errors import ProtocolError
    from academichub.sources.contract import HttpSettings
    from academichub.sources.http import HttpClient

    recorded = json.loads((DATA / "biorxiv/details_10.1101_641381.json").read_bytes())
    recorded["messages"][0]["total"] = 1_000_000
    served: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        served.append(request.url.path)
        return httpx.Response(200, json=recorded)

    with HttpClient(HttpSettings(), transport=httpx.MockTransport(handler), sleep=lambda s: None) as client, \
            pytest.raises(ProtocolError, match="a second time"):
        for _page in biorxiv.fetch(client, biorxiv.BiorxivSettings(min_interval=0), server="biorxiv",
                                   start=date(2019, 5, 1), end=date(2019, 5, 31)):
            assert len(served) < 10, "the harvest loops"
    assert [p.rsplit("/", 2)[-2] for p in served] == ["0", "2"]


def test_a_pubmed_server_that_ignores_retstart_ends_the_harvest_with_an_error() -> None:
    import httpx

    from academichub.errors import ProtocolError
    from academichub.sources.contract import HttpSettings
    from academichub.sources.http import HttpClient

    record = (DATA / "pubmed/pubmed1.xml").read_bytes()
    starts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        starts.append(request.url.params["retstart"])
        return httpx.Response(200, content=record)

    found = pubmed.Search(count=1_000_000, web_env="WEB", query_key="1")  # a history of a million records
    with HttpClient(HttpSettings(), transport=httpx.MockTransport(handler), sleep=lambda s: None) as client, \
            pytest.raises(ProtocolError, match="a second time"):
        for _start, _records in pubmed.fetch(client, pubmed.PubmedSettings(min_interval=0), found):
            assert len(starts) < 10, "the harvest loops"
    assert len(starts) == 2


def test_pubmed_titles_lose_medlines_closing_full_stop_only() -> None:
    # MEDLINE ends every title with a full stop; arXiv's, Crossref's and the journals' have none, and
    # a feed of both read as two styles. "?" stays, and so does the stop inside a two-part title.
    titles = [p.title for name in ("pubmed1", "pubmed2", "pubmed4", "pubmed7")
              for p in pubmed.parse((DATA / f"pubmed/{name}.xml").read_bytes())]
    assert "Leucocyte telomere length, genetic variants at the TERT gene region and risk of pancreatic cancer" in titles
    assert "Magnetic studies of Chromatium flavocytochrome C552. A mechanism for heme-flavin interaction" in titles
    assert not any(t.endswith(".") for t in titles), titles
    from academichub.sources.pubmed import _title

    assert _title("Trade in the U.S.") == "Trade in the U.S." and _title("Why?") == "Why?"
    assert _title("Proton MRI of (13)C (Cetti).") == "Proton MRI of ¹³C (Cetti)"


APS_ENTRY = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">
  <channel rdf:about="http://feeds.aps.org/rss/recent/prl.xml"><title>Physical Review Letters</title></channel>
  <item rdf:about="http://link.aps.org/doi/10.1103/b8y9-yvz9">
    <title>Bose-Einstein Condensates of Microwave-Shielded Polar Molecules in Bi&lt;sub&gt;2&lt;/sub&gt;Se&lt;sub&gt;3&lt;/sub&gt;</title>
    <link>http://link.aps.org/doi/10.1103/b8y9-yvz9</link>
    <description>&lt;p&gt;Author(s): Wei-Jian Jin, Fulin Deng, Su Yi, and Tao Shi&lt;/p&gt;&lt;p&gt;We investigate the ground-state
      phases of ultracold gases composed of bosonic microwave-shielded polar molecules at 10&lt;sup&gt;-3&lt;/sup&gt; K.
      &lt;/p&gt;[Phys. Rev. Lett. 134, 233401] Published Wed Jun 11, 2025</description>
    <dc:creator>Wei-Jian Jin, Fulin Deng, Su Yi, and Tao Shi</dc:creator>
    <prism:doi>10.1103/b8y9-yvz9</prism:doi>
    <dc:date>2025-06-11T10:00:00+00:00</dc:date>
  </item>
</rdf:RDF>"""


def test_an_aps_summary_is_its_abstract_without_the_author_line_and_the_citation() -> None:
    # APS's Physical Review feeds (presets prl, prx) open each summary with "Author(s): …" and
    # close it with "[Phys. Rev. Lett. 134, 233401] Published Wed Jun 11, 2025" (the frame public
    # tools that read these feeds strip): the card's abstract began and ended with them.
    (paper,) = journal_rss.parse(APS_ENTRY.encode())
    abstract = " ".join(paper.abstract.split())
    assert abstract.startswith("We investigate the ground-state phases")
    assert abstract.endswith("polar molecules at 10⁻³ K.") and "Published" not in abstract
    assert [a.name for a in paper.authors] == ["Wei-Jian Jin", "Fulin Deng", "Su Yi", "Tao Shi"]
    assert paper.title.endswith("Polar Molecules in Bi₂Se₃") and paper.doi == "10.1103/b8y9-yvz9"
    # An abstract that only mentions such words keeps them.
    kept = APS_ENTRY.replace("&lt;p&gt;Author(s): Wei-Jian Jin, Fulin Deng, Su Yi, and Tao Shi&lt;/p&gt;", "")
    kept = kept.replace("Published Wed Jun 11, 2025", "published in 2025")
    (plain,) = journal_rss.parse(kept.encode())
    assert plain.abstract.startswith("We investigate") and plain.abstract.endswith("published in 2025")


SCIENCE_TOC = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Science: Table of Contents</title>
<item><title>Grazing can reduce wildfire risk amid climate change</title>
  <link>https://www.science.org/doi/abs/10.1126/science.adu7471?af=R</link>
  <description>Science, Volume 387, Issue 6730, Page 140-143, January 2025. &lt;br/&gt;</description>
  <pubDate>Thu, 09 Jan 2025 07:00:00 GMT</pubDate></item>
<item><title>A single gene orchestrates androgen variation in ruffs</title>
  <link>https://www.science.org/doi/abs/10.1126/science.adp5936?af=R</link>
  <description>Science, Volume 387, Issue 6732, Page 406-412, January 2025. &lt;br/&gt;Male ruffs come in three
  forms, and one gene sets them apart.</description>
  <pubDate>Thu, 23 Jan 2025 07:00:00 GMT</pubDate></item>
<item><title>Retraction</title>
  <link>https://www.science.org/doi/abs/10.1126/science.adv1263?af=R</link>
  <description>Science, Volume 387, Issue 6730, Page 147-147, January 2025. &lt;br/&gt;</description>
  <pubDate>Thu, 09 Jan 2025 07:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_a_table_of_contents_citation_is_no_abstract_and_a_bare_notice_title_is_a_notice() -> None:
    # Science's (and PNAS's, NEJM's, ACS's) feeds describe an article by its issue's citation,
    # which a card showed as the abstract; a notice there is titled "Retraction" alone, and it
    # was stored as a paper.
    grazing, ruffs, retraction = journal_rss.parse(SCIENCE_TOC.encode())
    assert isinstance(grazing, Paper) and grazing.abstract == "" and grazing.doi == "10.1126/science.adu7471"
    assert isinstance(ruffs, Paper) and " ".join(ruffs.abstract.split()) == \
        "Male ruffs come in three forms, and one gene sets them apart."
    assert isinstance(retraction, Rejected) and retraction.not_a_paper and retraction.reason == "notice (retraction)"
    for paper_title in ("Correction for attenuation in surveys", "Retractions in science: a study"):
        assert notice_title(paper_title) is None


def test_a_structured_crossref_abstract_keeps_its_section_titles() -> None:
    # The recorded Global Ecology and Biogeography abstract is in sections (Aim, Location, Time
    # Period, Major Taxa Studied, Methods, Results, Main Conclusions): their titles were dropped,
    # leaving "Global, with a North American focus." and "1923–2014." as paragraphs of their own.
    page = crossref.parse((DATA / "crossref/works_query_ecology_query.author.json").read_bytes())
    (paper,) = [p for p in page.items if isinstance(p, Paper) and p.doi == "10.1111/geb.13950"]
    paragraphs = paper.abstract.split("\n\n")
    assert paragraphs[0].startswith("Aim: Despite unprecedented environmental change")
    assert "Location: Global, with a North American focus." in paragraphs
    assert "Time Period: 1923–2014." in paragraphs and "Major Taxa Studied: Mammals, Birds." in paragraphs
    assert "maximum spatial extent of 95\u2009km²." in paper.abstract and not paper.abstract.startswith("ABSTRACT")


def test_a_pmc_abstract_keeps_its_paragraphs_and_section_titles() -> None:
    # A PMC article's abstract was one line with its section titles run into the words
    # ("BackgroundCells die.MethodsWe looked …").
    article = (b'<pmc-articleset><article article-type="research-article"><front><journal-meta><journal-title-group>'
               b'<journal-title>J</journal-title></journal-title-group></journal-meta><article-meta>'
               b'<article-id pub-id-type="pmid">123</article-id><title-group><article-title>A study</article-title>'
               b'</title-group><abstract><sec><title>Background</title><p>Cells die.</p></sec><sec><title>Methods'
               b'</title><p>We looked at 10<sup>6</sup> cells:<list><list-item><p>twice</p></list-item></list></p>'
               b'<p>Again.</p></sec></abstract></article-meta></front></article></pmc-articleset>')
    (paper,) = pubmed.parse(article)
    assert paper.abstract == "Background: Cells die.\n\nMethods: We looked at 10⁶ cells: twice\n\nAgain."


def test_a_pretty_printed_crossref_abstract_keeps_its_paragraphs_only() -> None:
    # Wiley's JATS is laid out on indented lines: its line breaks read as paragraph breaks
    # ("We present\n\ntaxadb\n\nR\n\npackage …"), and a removed citation marker left
    # "(Bjørnstad & Grenfell )".
    page = crossref.parse((DATA / "crossref/works_query_ecology_query.author.json").read_bytes())
    abstracts = " ".join(p.abstract for p in page.items if isinstance(p, Paper))
    assert "We present taxadb R package which creates a local database" in abstracts
    assert "(Bjørnstad & Grenfell). Stochastic phenomena" in abstracts
    assert "\n\ntaxadb\n\n" not in abstracts and " )" not in abstracts


def test_medlines_parenthesised_scripts_are_written_as_scripts() -> None:
    # MEDLINE writes "(13)C", "(1)H", "CO(2)", "Ca(2+)" in ASCII: the recorded abstract read
    # "The sensitivity of (13)C NMR imaging … the (1)H nuclei", and its title's key ("13 c") did not
    # meet the same title from a source that writes ¹³C or $^{13}$C.
    from academichub.inline_text import medline_scripts
    from academichub.keys import title_key

    mri = next(p for p in pubmed.parse((DATA / "pubmed/pubmed2.xml").read_bytes()) if p.title.startswith("Proton MRI"))
    assert mri.title == "Proton MRI of ¹³C distribution by J and chemical shift editing"
    assert mri.abstract.startswith("The sensitivity of ¹³C NMR imaging can be considerably favored by detecting the ¹H")
    assert title_key(mri.title) == title_key("Proton MRI of $^{13}$C distribution by J and chemical shift editing")
    assert medline_scripts("CO(2), H(2)O, Ca(2+), SO(4)(2-) and Na(+)/K(+)-ATPase") == "CO₂, H₂O, Ca²⁺, SO₄²⁻ and Na⁺/K⁺-ATPase"
    for kept in ("dimethyl sulfoxide (Me(2)SO)", "figure (3)A", "type (2) diabetes", "groups (A) and (B)", "Fe(II)"):
        assert medline_scripts(kept) == kept

"""One record per work across sources, on both databases: preprint + journal version = one card."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from academichub.ingest.pipeline import ingest
from academichub.ingest.sanitise import sanitise_paper
from academichub.model import Author, Paper
from academichub.radar.feed import FeedService
from academichub.settings import FeedSettings
from academichub.sources import arxiv_api, arxiv_listing, crossref
from academichub.storage.store import Store
from tests.conftest import DATA

pytestmark = pytest.mark.usefixtures("backend")
ARXIV = arxiv_api.parse((DATA / "arxiv_api/q_testing_s0_m10_bc5a6c384fe9.atom.xml").read_bytes()).items
JOURNAL = crossref.parse((DATA / "crossref/handmade_10.1109_icstw55395.2022.00035.json").read_bytes()).items
VENUE = "2022 IEEE International Conference on Software Testing, Verification and Validation Workshops (ICSTW)"


@pytest.mark.parametrize("order", ["preprint first", "journal first"])
def test_preprint_and_its_journal_record_are_one_work_with_both_labels(store: Store, order: str) -> None:
    batches = [ARXIV, JOURNAL] if order == "preprint first" else [JOURNAL, ARXIV]
    reports = [ingest(store, items, source=items[0].source) for items in batches]
    assert reports[1].merged == 1
    work_id = store.works.id_for_public("arxiv:2202.12139")
    assert work_id == store.works.id_for_public("doi:10.1109/icstw55395.2022.00035")
    work = store.works.get(work_id)
    assert work.sources == ["arxiv", "crossref"]
    assert work.label == f"arXiv (CS.SE) · {VENUE}"
    assert work.paper.primary_category == "cs.SE" and work.paper.venue == VENUE
    assert store.works.count() == 10  # nine other arXiv papers, one shared work


def _ecology_versions() -> tuple[list, list]:
    """A bioRxiv preprint (10.1101/014852) and its journal version, both real Crossref records."""
    items = crossref.parse((DATA / "crossref/works_query_ecology_query.author.json").read_bytes()).items
    return ([p for p in items if getattr(p, "doi", "") == "10.1101/014852"],
            [p for p in items if getattr(p, "doi", "") == "10.1002/ece3.2314"])


def _openalex_of_arxiv() -> list:
    """OpenAlex's record of an arXiv paper: arXiv's DataCite DOI (stored as the arXiv id), the
    abstract rebuilt from its inverted index."""
    paper = next(p for p in ARXIV if p.arxiv_id == "2202.12139")
    return [Paper(title=paper.title.upper(), source="openalex", doi="10.48550/arXiv.2202.12139",
                  openalex_id="W4225000000", abstract="Rebuilt from an inverted index", authors=paper.authors)]


@pytest.mark.parametrize("order", ["preprint first", "other first"])
def test_an_arxiv_work_shows_arxiv_text_whatever_else_carries_its_id(store: Store, order: str) -> None:
    """OpenAlex's record carries arXiv's id (its DataCite DOI), and as the newest record it led:
    its rebuilt abstract and upper-case title replaced arXiv's, and each fetch flipped them."""
    other = _openalex_of_arxiv()
    batches = [ARXIV, other] if order == "preprint first" else [other, ARXIV]
    for items in batches + batches:
        ingest(store, items, source=items[0].source)
    work = store.works.get(store.works.id_for_public("arxiv:2202.12139"))
    assert work.sources == ["arxiv", "openalex"] and work.paper.openalex_id == "W4225000000"
    assert work.paper.abstract.startswith("Deep Learning (DL) has revolutionized")
    assert work.paper.title.startswith("Testing Deep Learning Models")
    for items in batches:
        assert ingest(store, items, source=items[0].source).updated == 0


@pytest.mark.parametrize("pair", ["arxiv+journal", "biorxiv+journal"])
@pytest.mark.parametrize("order", ["preprint first", "journal first"])
def test_either_version_sent_again_changes_nothing_and_the_order_does_not_matter(
        store: Store, pair: str, order: str) -> None:
    """Each version sent again used to take the work's title, abstract and licence back (and the
    DOI link's case): every daily fetch of either source rewrote and re-indexed the work, and the
    card's text flipped with whichever came last. An arXiv work shows arXiv's text; a bioRxiv
    preprint and its journal version show the journal's (the version of record)."""
    preprint, journal = (ARXIV, JOURNAL) if pair == "arxiv+journal" else _ecology_versions()
    batches = [preprint, journal] if order == "preprint first" else [journal, preprint]
    for items in batches:
        ingest(store, items, source=items[0].source)
    work_id = store.works.id_for_public(f"doi:{journal[0].doi}")
    settled = store.works.get(work_id)
    for items in batches + batches:
        report = ingest(store, items, source=items[0].source)
        assert (report.new, report.updated) == (0, 0), items[0].doi
    assert store.works.get(work_id).paper == settled.paper
    leader = next(p for p in preprint if p.arxiv_id == "2202.12139") if pair == "arxiv+journal" else journal[0]
    assert settled.paper.title == sanitise_paper(leader).title
    assert settled.paper.doi == journal[0].doi.lower()


def test_a_paper_is_found_by_any_spelling_of_its_ids(store: Store) -> None:
    # `academichub feedback like 2202.12139v2`, an export of "https://arxiv.org/abs/…" or of the
    # doi.org URL: only "arxiv:ID" and "doi:DOI" named a paper, the rest was "no paper".
    ingest(store, ARXIV, source="arxiv")
    ingest(store, JOURNAL, source="crossref")
    work_id = store.works.id_for_public("arxiv:2202.12139")
    assert work_id is not None
    for written in ("2202.12139", "2202.12139v2", "arxiv:2202.12139v1", "arXiv:2202.12139",
                    "https://arxiv.org/abs/2202.12139v2", "arxiv.org/pdf/2202.12139", "10.48550/arXiv.2202.12139",
                    "doi:10.1109/ICSTW55395.2022.00035", "10.1109/icstw55395.2022.00035",
                    "https://doi.org/10.1109/ICSTW55395.2022.00035", " doi.org/10.1109/icstw55395.2022.00035 "):
        assert store.works.id_for_public(written) == work_id, written
    for nothing in ("arxiv:", "doi:", "2202.99999", "doi:10.1109/other", "w", "w99999999999999999999", "cs.SE",
                    "see 10.1109/icstw55395.2022.00035"):
        assert store.works.id_for_public(nothing) is None, nothing
    assert store.works.id_for_public(f"w{work_id}") == work_id


def test_a_pubmed_or_openalex_work_is_found_by_its_pmid_or_openalex_id(store: Store) -> None:
    """A PubMed record without a DOI is `w<row>` in URLs, which another install does not share;
    its PMID pasted as PubMed writes it answered "no paper"."""
    ingest(store, [Paper(title="A trial of something in someone", source="pubmed", pmid="38123456"),
                   Paper(title="An OpenAlex-only work of some length", source="openalex", openalex_id="W4225000123")],
           source="pubmed")
    by_pmid, by_openalex = (store.works.id_for_public(f"w{i}") for i in store.works.ids())
    for written in ("pmid:38123456", "PMID: 38123456", "https://pubmed.ncbi.nlm.nih.gov/38123456/",
                    "pubmed.ncbi.nlm.nih.gov/38123456", "https://www.ncbi.nlm.nih.gov/pubmed/38123456"):
        assert store.works.id_for_public(written) == by_pmid, written
    for written in ("openalex:W4225000123", "W4225000123", "https://openalex.org/W4225000123", "openalex.org/works/w4225000123",
                    "https://api.openalex.org/works/W4225000123"):
        assert store.works.id_for_public(written) == by_openalex, written
    for nothing in ("pmid:", "pmid:38123457", "38123456", "pubmed.ncbi.nlm.nih.gov/x", "openalex:W"):
        assert store.works.id_for_public(nothing) is None, nothing
    # Named by those ids in links, exports and feeds, not by the row ("w4341" in a recorded
    # PubMed paper's URL, its RIS ID and its feed entry: another install's w4341 is another paper).
    pubmed_work, openalex_work = store.works.get_many([by_pmid, by_openalex])
    assert (pubmed_work.public_id, openalex_work.public_id) == ("pmid:38123456", "openalex:W4225000123")
    for work in (pubmed_work, openalex_work):
        assert store.works.id_for_public(work.public_id) == work.id
    from academichub.briefing.export import paper_link

    assert paper_link("pmid:38123456") == "https://pubmed.ncbi.nlm.nih.gov/38123456/"
    assert paper_link("openalex:W4225000123") == "https://openalex.org/W4225000123"


def test_crossref_preprint_relation_joins_the_arxiv_listing_item(store: Store) -> None:
    listing = arxiv_listing.parse((DATA / "arxiv_listing/rss_2025-04-04.xml").read_bytes()).items
    ingest(store, listing, source="arxiv")
    record = {"DOI": "10.1000/journal.2025.1", "type": "journal-article", "container-title": ["A Journal"],
              "title": ["MT-Link: user identity linkage across platforms"],
              "relation": {"has-preprint": [{"id-type": "doi", "id": "10.48550/arXiv.2504.01979",
                                             "asserted-by": "subject"}]}}
    report = ingest(store, [crossref.work(record)], source="crossref")
    assert (report.new, report.merged) == (0, 1)
    work = store.works.get(store.works.id_for_public("arxiv:2504.01979"))
    assert work.paper.doi == "10.1000/journal.2025.1" and "A Journal" in work.label


def test_title_and_first_author_join_records_without_shared_ids(store: Store) -> None:
    preprint = next(p for p in ARXIV if p.arxiv_id == "2405.13786")
    ingest(store, [replace(preprint, doi=None)], source="arxiv")
    revised = Paper(title=preprint.title.replace("Learning-to-Rank", "Learning to Rank"), source="crossref",
                    doi="10.1000/j.2024.7", authors=list(preprint.authors), venue="Some Journal",
                    published=date(2024, 11, 1))
    stranger = replace(revised, doi="10.1000/j.2024.8", authors=[Author("Someone Else", "someone else")])
    report = ingest(store, [revised, stranger], source="crossref")
    assert (report.new, report.merged) == (1, 1)
    work = store.works.get(store.works.id_for_public("arxiv:2405.13786"))
    assert work.paper.doi == "10.1000/j.2024.7" and work.sources == ["arxiv", "crossref"]


def test_a_reader_who_saw_the_preprint_is_not_shown_the_journal_version(store: Store) -> None:
    ingest(store, ARXIV, source="arxiv")
    user = store.accounts.create_user("reader", "Reader")
    radar = store.accounts.default_radar(user.id)
    feed = FeedService(store, FeedSettings(batch_size=10))
    seen = {c.work.id for c in feed.current(radar, period="all").cards}
    assert store.works.id_for_public("arxiv:2202.12139") in seen
    ingest(store, JOURNAL, source="crossref")
    later = feed.next(radar, period="all")
    assert not {c.work.id for c in later.cards} & seen and store.works.count() == 10


def test_bioRxiv_preprint_and_journal_version_from_real_crossref_records(store: Store) -> None:
    document = json.loads((DATA / "crossref/works_query_ecology_query.author.json").read_text())
    report = ingest(store, crossref.parse(json.dumps(document).encode()).items, source="crossref")
    assert report.merged == 1  # 10.1002/ece3.2314 declares 10.1101/014852 as its preprint
    work = store.works.get(store.works.id_for_public("doi:10.1002/ece3.2314"))
    assert work.paper.doi == "10.1002/ece3.2314"  # the journal DOI leads, the preprint's is kept
    assert ("doi", "10.1101/014852") in work.paper.also and work.paper.venue == "Ecology and Evolution"
    with store.engine.connect() as conn:
        owner = conn.exec_driver_sql("SELECT work_id FROM work_ids WHERE value = '10.1101/014852'").scalar()
    assert owner == work.id
    # The preprint's DOI still names the work (`feedback like`, exports, /paper/…): it answered "no paper".
    for written in ("doi:10.1101/014852", "https://doi.org/10.1101/014852", "10.1101/014852"):
        assert store.works.id_for_public(written) == work.id, written
    assert store.works.require_many(["doi:10.1101/014852", "doi:10.1002/ece3.2314"])[0].id == work.id


@pytest.mark.parametrize(("preprint", "journal"), [
    (r"Constraints on $\alpha_s$ from jet substructure at the LHC", "Constraints on αs from jet substructure at the LHC"),
    (r"The $H_0$ tension in early dark energy models", "The H0 tension in early dark energy models"),
    (r"Clusters of $10^{12}$ solar masses at $\sqrt{s}=13\,\mathrm{TeV}$", "Clusters of 10¹² solar masses at √s=13 TeV"),
])
def test_a_preprint_whose_title_has_a_formula_meets_its_journal_version(store: Store, preprint: str,
                                                                        journal: str) -> None:
    # arXiv writes the formula as TeX, the journal's record as text: the title keys ("alpha s", "αs")
    # differed and the two stayed two works. 3.8% of the corpus's titles have a formula.
    from academichub.keys import make_author

    authors = [make_author("Maria Rossi"), make_author("John Smith")]
    ingest(store, [Paper(title=preprint, source="arxiv", arxiv_id="2509.01234", arxiv_version=1, authors=authors,
                         abstract="We study things.", announced=date(2025, 9, 1))], source="arxiv")
    report = ingest(store, [Paper(title=journal, source="crossref", doi="10.1000/formula", authors=authors,
                                  venue="J. Phys.", published=date(2025, 10, 1))], source="crossref")
    assert report.merged == 1 and report.new == 0

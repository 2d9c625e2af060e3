"""Exports: BibTeX, RIS and CSL-JSON of stored papers re-import cleanly through the library importer."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st

from academichub.export.citations import export, split_name, to_bibtex
from academichub.keys import title_key
from academichub.library.items import LibraryItem
from academichub.library.readers import READERS, detect
from academichub.model import Author, Paper
from academichub.model.works import StoredWork
from academichub.storage.store import Store
from academichub.web.app import create_app
from tests.conftest import make_settings
from tests.test_cli import run


def reimport(text: str, fmt: str) -> list[LibraryItem]:
    assert detect(text) == fmt
    return [e for e in READERS[fmt](text) if isinstance(e, LibraryItem)]


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_the_sample_round_trips_through_the_importer(sample_store: Store, fmt: str) -> None:
    works = sample_store.works.get_many(sample_store.works.ids_in_window(date(2025, 9, 26), date(2025, 9, 26)))
    assert len(works) > 200
    items = reimport(export(works, fmt), fmt)
    assert len(items) == len(works)
    for work, item in zip(works, items, strict=True):
        assert title_key(item.title) == title_key(work.paper.title), (work.paper.title, item.title)
        assert item.arxiv_id == work.paper.arxiv_id
        assert item.year == (work.paper.published or work.paper.announced or work.feed_date).year
        assert [split_name(n)[0] for n in item.authors] == [split_name(a.name)[0] for a in work.paper.authors]


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_a_pubmed_paper_without_a_doi_is_exported_with_its_pmid_and_address(fmt: str) -> None:
    # It left with no identifier and no URL at all: re-imported as a library, it matched nothing.
    from academichub.sources import pubmed

    data = Path(__file__).parent / "data/pubmed/pubmed1.xml"
    papers = [p for p in pubmed.parse(data.read_bytes()) if isinstance(p, Paper) and not p.doi]
    assert papers, "the recorded PubMed file holds a paper without a DOI"
    work = StoredWork(1, papers[0], ["pubmed"], "", date(1990, 4, 1), None, None)  # type: ignore[arg-type]
    text = export([work], fmt)
    assert f"https://pubmed.ncbi.nlm.nih.gov/{papers[0].pmid}/" in text
    (item,) = reimport(text, fmt)
    if fmt != "ris":  # RIS has no field for a PMID that reference managers agree on
        assert item.pmid == papers[0].pmid


def test_keys_are_unique_and_braces_cannot_break_an_entry(sample_store: Store) -> None:
    work = sample_store.works.get(sample_store.works.id_for_public("arxiv:2508.06869"))
    twin = StoredWork(work.id, dataclasses.replace(work.paper, title="Broken } title { with @ and % signs"),
                      work.sources, work.content_hash, work.feed_date, work.created_at, work.updated_at)
    text = to_bibtex([work, work, twin])
    keys = [line.split("{", 1)[1].rstrip(",") for line in text.splitlines() if line.startswith("@")]
    assert len(set(keys)) == 3 and keys[0].startswith("he2025")
    items = reimport(text, "bibtex")
    assert len(items) == 3 and items[2].title.startswith("Broken")


def test_latex_specials_outside_math_are_escaped_for_bibtex(sample_store: Store) -> None:
    # A bare "50%" in a title commented out the rest of the reference when LaTeX read the .bib, and
    # "&" stopped it ("Misplaced alignment tab character"); arXiv's own TeX ($x_1$, \\%) stays.
    work = sample_store.works.get(sample_store.works.id_for_public("arxiv:2508.06869"))
    paper = dataclasses.replace(work.paper, title=r"50% of R&D #1 for a_b with $x_1$ and 5\% more",
                                venue="Science & Society", abstract="Up 20% & more.")
    twin = StoredWork(work.id, paper, work.sources, work.content_hash, work.feed_date, work.created_at,
                      work.updated_at)
    text = to_bibtex([twin])
    assert r"title = {50\% of R\&D \#1 for a\_b with $x_1$ and 5\% more}" in text
    assert r"journal = {Science \& Society}" in text and r"abstract = {Up 20\% \& more.}" in text
    assert title_key(reimport(text, "bibtex")[0].title) == title_key(paper.title)  # still matched on re-import


def test_a_name_holding_and_stays_one_author_through_bibtex() -> None:
    # BibTeX splits an author list on the word "and": "Research and Development Group" went out as
    # two authors and came back as "Research" and "Development Group".
    from datetime import UTC, datetime
    names = ["Ada Lovelace", "Research and Development Group", "Hydrogen Epoch AND Reionization Array", "Lee"]
    paper = Paper(title="One paper", source="arxiv", arxiv_id="2509.00001", arxiv_version=1,
                  authors=[Author(n, n.lower()) for n in names], announced=date(2025, 9, 1))
    work = StoredWork(1, paper, ["arxiv"], "h", date(2025, 9, 1), datetime.now(UTC), datetime.now(UTC))
    [item] = reimport(to_bibtex([work]), "bibtex")
    assert item.authors == names


def test_a_name_suffix_is_no_family_name_in_any_format() -> None:
    # "Martin Luther King Jr." went out as family "Jr." (BibTeX "Jr., Martin Luther King", CSL
    # family "Jr."), so a reference manager sorted and cited him as "Jr.".
    from datetime import UTC, datetime
    names = ["Martin Luther King Jr.", "Henry Ford III", "Ada Lovelace"]
    paper = Paper(title="One paper", source="arxiv", arxiv_id="2509.00001", arxiv_version=1,
                  authors=[Author(n, n.lower()) for n in names], announced=date(2025, 9, 1))
    work = StoredWork(1, paper, ["arxiv"], "h", date(2025, 9, 1), datetime.now(UTC), datetime.now(UTC))
    assert "author = {King, Jr., Martin Luther and Ford, III, Henry and Lovelace, Ada}" in to_bibtex([work])
    assert "AU  - King, Martin Luther, Jr." in export([work], "ris")
    assert json.loads(export([work], "csl-json"))[0]["author"][0] == {"family": "King", "given": "Martin Luther",
                                                                      "suffix": "Jr."}
    assert to_bibtex([work]).startswith("@misc{king2025")
    for fmt in ("bibtex", "ris", "csl-json"):
        [item] = reimport(export([work], fmt), fmt)
        assert item.authors == names, fmt


def test_bibtex_author_lists_split_as_bibtex_splits_them() -> None:
    # "AND" separates names as "and" does; braces protect an "and"; "and others" is et al., not a person.
    [item] = reimport("@article{a, title={X}, year=2020, author={Smith, John\n  AND Doe, Jane and "
                      "{Research and Development Group} and M{\\\"u}ller, Hans and others}}", "bibtex")
    assert item.authors == ["John Smith", "Jane Doe", "Research and Development Group", "Hans Müller"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"), max_size=40),
                min_size=1, max_size=5))
@example(lines=["Our results.", "ER  - ", "TY  - JOUR", "TI  - A record the abstract made"])
@example(lines=["\uf9fe"])  # a CJK compatibility ideograph: stored abstracts are NFC, where it is U+8336
def test_an_abstract_of_any_lines_stays_inside_its_ris_record(lines: list[str]) -> None:
    """An abstract is text from a source: its lines "ER  - " and "TY  - JOUR" ended the RIS record
    and began one of the abstract's making (an importer read two papers)."""
    import unicodedata
    from datetime import UTC, datetime
    paper = Paper(title="The one paper", source="arxiv", arxiv_id="2509.00001", arxiv_version=1,
                  abstract=unicodedata.normalize("NFC", "\n".join(lines)),  # as ingest stores it
                  authors=[Author("Ada Lovelace", "ada lovelace")], announced=date(2025, 9, 1))
    work = StoredWork(1, paper, ["arxiv"], "h", date(2025, 9, 1), datetime.now(UTC), datetime.now(UTC))
    [item] = READERS["ris"](export([work], "ris"))
    assert item.title == "The one paper" and item.abstract.split() == paper.abstract.split()


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=3, max_size=80).filter(lambda t: t.strip()),
       st.lists(st.from_regex(r"[A-Z][a-z]{1,8} [A-Z][a-z]{1,10}", fullmatch=True), min_size=1, max_size=4))
@example(title="\\AB", names=["Aa Aa"])  # a title of one unknown TeX macro once read back as empty
def test_any_title_and_authors_survive_csl_and_ris(title: str, names: list[str]) -> None:
    from datetime import UTC, datetime
    paper = Paper(title=" ".join(title.split()), source="arxiv", arxiv_id="2509.00001", arxiv_version=1,
                  authors=[Author(n, n.lower()) for n in names], announced=date(2025, 9, 1))
    work = StoredWork(1, paper, ["arxiv"], "h", date(2025, 9, 1), datetime.now(UTC), datetime.now(UTC))
    for fmt in ("csl-json", "ris"):
        [item] = READERS[fmt](export([work], fmt))
        # The importer reads braces as TeX case protection (dropped), so compare the matching key.
        assert title_key(item.title) == title_key(paper.title) and item.authors == names


def test_exports_over_the_api_and_the_cli(sample_home: Path, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(sample_home))) as client:
        one = client.get("/api/v1/export?ids=arxiv:2508.06869&format=bibtex")
        assert one.status_code == 200 and one.headers["content-type"].startswith("application/x-bibtex")
        assert 'filename="arxiv-2508.06869.bib"' in one.headers["content-disposition"]
        assert client.get("/api/v1/export?ids=arxiv:0000.00000").status_code == 404
        assert client.get("/api/v1/export?ids=arxiv:2508.06869&format=pdf").status_code == 422
        batch = client.get("/api/v1/feed/export?format=ris")
        assert len(reimport(batch.text, "ris")) == 10
        first = client.get("/api/v1/feed").json()["items"][0]["id"]
        client.post("/api/v1/feedback", json={"paper": first, "action": "save"})
        saved = json.loads(client.get("/api/v1/saved/export?format=csl-json").text)
        assert [item["id"] for item in saved] == [first] == [s["id"] for s in client.get("/api/v1/saved").json()]
        assert first in client.get("/saved").text
        number = client.post("/api/v1/briefings", json={"period": "week", "lang": "en"}).json()
        refs = client.get(f"/api/v1/briefings/{number['id']}/export?format=bibtex").text
        assert len(reimport(refs, "bibtex")) == len(number["papers"])
    target = tmp_path / "saved.ris"
    code, _, err = run(capsys, "--home", str(sample_home), "export", "--saved", "--format", "ris", "-o", str(target))
    assert code == 0 and "Wrote 1 paper as ris" in err and len(reimport(target.read_text(), "ris")) == 1
    code, out, _ = run(capsys, "--home", str(sample_home), "export", "arxiv:2508.06869", "--format", "csl-json")
    assert code == 0 and json.loads(out)[0]["title"].startswith("VSI")
    assert run(capsys, "--home", str(sample_home), "export", "--feed", "--saved")[0] != 0


def test_an_export_of_a_doi_with_a_comma_finds_it(tmp_path: Path) -> None:
    # ids= is comma-separated, and a comma inside a DOI (legal) split it into two unknown papers.
    from academichub.ingest.pipeline import ingest
    from academichub.web.export_api import split_ids

    settings = make_settings(tmp_path / "home")
    with Store.open(settings) as store:
        ingest(store, [Paper(title="A work whose DOI holds a comma", source="crossref", doi="10.1000/3-540,2",
                             published=date(2025, 9, 26)),
                       Paper(title="Another work", source="crossref", doi="10.1000/other", published=date(2025, 9, 26))],
               source="crossref")
    assert split_ids("doi:10.1000/3-540,2, doi:10.1000/other,w7") == ["doi:10.1000/3-540,2", "doi:10.1000/other", "w7"]
    with TestClient(create_app(settings)) as client:
        answer = client.get("/api/v1/export", params={"ids": "doi:10.1000/3-540,2,doi:10.1000/other", "format": "ris"})
        assert answer.status_code == 200, answer.text
        assert "DO  - 10.1000/3-540,2" in answer.text and "DO  - 10.1000/other" in answer.text

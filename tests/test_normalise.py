"""Normalisers: identifiers, DOIs, names, dates and text (examples plus property tests)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from academichub import keys
from academichub.keys import (
    authors_from_text,
    clean_abstract,
    clean_categories,
    clean_line,
    make_author,
    name_key,
    normalise_doi,
    parse_arxiv_id,
    parse_date,
    split_author_list,
    strip_control,
)

new_ids = st.builds(lambda y, m, n, w: f"{y:02d}{m:02d}.{n:0{w}d}", st.integers(7, 30), st.integers(1, 12),
                    st.integers(0, 9999), st.sampled_from([4, 5]))
old_ids = st.builds(lambda a, n: f"{a}/{n:07d}", st.sampled_from(["astro-ph", "hep-th", "math", "cond-mat", "math.GT"]),
                    st.integers(0, 9999999))
prefixes = st.sampled_from(["", "arXiv:", "arxiv:", "oai:arXiv.org:", "http://arxiv.org/abs/",
                            "https://arxiv.org/abs/", "https://export.arxiv.org/abs/", "https://arxiv.org/pdf/",
                            # pasted without the scheme, arXiv's HTML view, its DataCite DOI (were refused)
                            "arxiv.org/abs/", "www.arxiv.org/pdf/", "https://arxiv.org/html/",
                            "10.48550/arXiv.", "https://doi.org/10.48550/arXiv.", "doi:10.48550/arxiv."])


@given(ident=st.one_of(new_ids, old_ids), prefix=prefixes, version=st.one_of(st.none(), st.integers(1, 40)))
def test_arxiv_id_survives_every_spelling(ident: str, prefix: str, version: int | None) -> None:
    text = f"{prefix}{ident}{f'v{version}' if version else ''}"
    assert parse_arxiv_id(text) == (ident, version)


@pytest.mark.parametrize("text", ["abc", "1234.567", "0808.05394v", "cs.AI", "", "10.1000/xyz",
                                  "1234.5678", "2513.00001", "2500.12345"])  # no month 34, 13 or 00
def test_arxiv_id_rejects_non_ids(text: str) -> None:
    with pytest.raises(ValueError, match="not an arXiv identifier"):
        parse_arxiv_id(text)


def test_doi_prefixes_case_and_lists() -> None:
    assert normalise_doi("https://doi.org/10.1109/ICSTW55395.2022.00035") == "10.1109/icstw55395.2022.00035"
    assert normalise_doi("doi: 10.1103/PhysRevD.93.016005,") == "10.1103/physrevd.93.016005"
    assert normalise_doi("10.1103/PhysRevC.76.024606 10.1103/PhysRevC.76.039902") == "10.1103/physrevc.76.024606"
    # As readers paste them: without the scheme, www., percent-encoded in a URL, as a URI (were no DOI).
    for written in ("doi.org/10.1000/XYZ", "https://www.doi.org/10.1000/xyz", "https://doi.org/10.1000%2Fxyz",
                    "info:doi/10.1000/xyz", "urn:doi:10.1000/xyz", "dx.doi.org/10.1000/xyz"):
        assert normalise_doi(written) == "10.1000/xyz", written
    assert normalise_doi("10.1000/50%25off") == "10.1000/50%25off"  # only a URL's DOI is percent-decoded
    assert normalise_doi("not a doi") is None
    assert normalise_doi(None) is None


# A suffix of nothing but a full stop is sentence punctuation after "10.1234/", which the
# normaliser strips on purpose (DOIs in prose end sentences): such a string holds no DOI.
@given(suffix=st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="./-_()"),
                      min_size=1, max_size=30).filter(lambda s: s.rstrip(".")))
def test_doi_normalisation_is_idempotent(suffix: str) -> None:
    doi = normalise_doi(f"https://doi.org/10.1234/{suffix}")
    assert doi is not None and normalise_doi(doi) == doi and doi == doi.lower()


def test_categories_keep_arxiv_codes_only() -> None:
    assert clean_categories(["cs.CV", "cs.AI", "I.2.10", "68T50", "cs.CV", "physics.chem-ph", "hep-th"]) == [
        "cs.CV", "cs.AI", "physics.chem-ph", "hep-th"]


def test_abstract_unwraps_lines_and_keeps_paragraphs() -> None:
    raw = "  The density dependence of\nthe symmetry energy.\n  A second paragraph\nwraps here.\n"
    assert clean_abstract(raw) == "The density dependence of the symmetry energy.\n\nA second paragraph wraps here."


def test_abstract_with_decorative_indentation_is_one_paragraph() -> None:
    raw = "\n                    A generalized Dedekind sum\n                    is proved.\n                "
    assert clean_abstract(raw) == "A generalized Dedekind sum is proved."


@given(st.text(max_size=400))
def test_clean_abstract_is_idempotent_and_clean(text: str) -> None:
    once = clean_abstract(text)
    assert clean_abstract(once) == once
    assert "\x00" not in once and "  " not in once and "\t" not in once
    assert once == once.strip()


@given(st.text(alphabet=st.sampled_from([*"ab.( \n\t\r", "\u00a0", "\u2028", "\u3000", "\x85", "\x1c"])
               | st.characters(), max_size=300))
def test_the_one_paragraph_shortcut_follows_the_general_rule(text: str) -> None:
    prepared = strip_control(unicodedata.normalize("NFC", text)).replace("\r\n", "\n").strip("\n")
    assert clean_abstract(text) == keys._paragraphs(prepared)


@given(st.text(max_size=200))
def test_clean_line_has_no_newlines_and_is_idempotent(text: str) -> None:
    line = clean_line(text)
    assert "\n" not in line and clean_line(line) == line


def test_author_names_latex_affiliations_and_lists() -> None:
    names = [a.name for a in authors_from_text(r"C. Bal\'azs, E. L. Berger, and C.-P. Yuan")]
    assert names == ["C. Balázs", "E. L. Berger", "C.-P. Yuan"]
    author = make_author("Huu Danh Nguyen (Stanford University, CA)")
    assert author is not None and author.name == "Huu Danh Nguyen"
    assert author.affiliations == ("Stanford University, CA",)
    assert split_author_list("A. One and B. Two") == ["A. One", "B. Two"]
    assert split_author_list("Alice Smith, Bob Jones et al.") == ["Alice Smith", "Bob Jones"]
    assert split_author_list("Alice Smith, et al") == ["Alice Smith"]


@given(st.text(max_size=60))
def test_name_key_is_idempotent(text: str) -> None:
    assert name_key(name_key(text)) == name_key(text)


def test_name_key_folds_case_accents_and_punctuation() -> None:
    assert name_key("José  García-Pérez") == name_key("jose garcia perez") == "jose garcia perez"
    assert name_key("Jianxiang He") == "jianxiang he"
    assert name_key("何建祥") == "何建祥"


@given(st.datetimes(min_value=datetime(1991, 1, 1), max_value=datetime(2100, 1, 1)),
       st.integers(-12, 14))
def test_dates_round_trip_in_their_own_zone(moment: datetime, offset_hours: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(hours=offset_hours)))
    assert parse_date(aware.isoformat()) == aware.date()
    assert parse_date(format_datetime(aware)) == aware.date()


def test_dates_in_source_formats() -> None:
    assert parse_date("Fri, 04 Apr 2025 00:00:00 -0400") == date(2025, 4, 4)
    assert parse_date("2022-02-24T15:05:19Z") == date(2022, 2, 24)
    assert parse_date("Tue, 3 Apr 2007 22:04:11 GMT") == date(2007, 4, 3)
    assert parse_date("nonsense") is None and parse_date("") is None


def _reference_key(name: str) -> str:
    import unicodedata
    decomposed = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


@given(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_ascii_fast_path_of_name_key_matches_the_general_rule(name: str) -> None:
    if not any(ch in name for ch in "\\{}("):  # TeX and trailing "(affiliation)" are handled first
        assert name_key(name) == _reference_key(name)


@given(st.text(alphabet=st.sampled_from([*" \t\r\f\v\nab", "\u00a0", "\u2000", "\u200b", "\u3000", "\u2028"])
               | st.characters(), max_size=80))
def test_collapse_spaces_turns_every_run_of_spaces_into_one(text: str) -> None:
    import re

    expected = re.sub(r"[ \t\r\f\v\u00a0\u2000-\u200b\u3000]+", " ", text)
    assert keys.collapse_spaces(text) == expected


def test_a_per_cent_sign_is_not_a_tex_comment_in_a_title_key() -> None:
    # pylatexenc read "%" as a comment: both keyed as "cutting costs by 50", one work to the merger.
    first = keys.title_key(r"Cutting costs by 50% with $\alpha$-pruning")
    second = keys.title_key(r"Cutting costs by 50% with $\beta$-sharing")
    assert first != second and first.startswith("cutting costs by 50 with")


def test_a_link_with_a_control_or_format_character_is_dropped() -> None:
    assert keys.safe_url("https://arxiv.org/abs/2508.06869") == "https://arxiv.org/abs/2508.06869"
    for url in ("https://a.org/x\x00y", "https://a.org/\u202egpj.exe", "https://a.org/\x7f", "javascript:alert(1)"):
        assert keys.safe_url(url) is None, url


# -- inline markup: scripts and MathML (PubMed, Crossref's JATS, journal feeds) -------------------------

def test_scripts_and_formulas_of_the_recorded_pubmed_abstracts_stay_legible() -> None:
    # A formula laid out on several lines became one letter per word ("V . O 2 m a x"), an
    # isotope's mass number was lost ("inhaled He/Xe MRI") or spaced off ("He 3 / Xe 129 MRI"),
    # and a unit's superscript read as a subtraction ("km·h-1").
    from pathlib import Path

    from academichub.sources import pubmed

    data = Path(__file__).parent / "data/pubmed"
    (runners,) = pubmed.parse((data / "pubmed6.xml").read_bytes())
    assert "maximal oxygen uptake ( V̇O2max ) 67.6 ± 4.1 ml·kg⁻¹·min⁻¹" in runners.abstract
    assert "15.0 ± 1.1 km·h⁻¹" in runners.abstract and "V . O" not in runners.abstract
    (lungs,) = pubmed.parse((data / "pubmed7.xml").read_bytes())
    assert "inhaled ³He/¹²⁹Xe MRI ventilation" in lungs.abstract and "echo-time ¹H MRI" in lungs.abstract


@pytest.mark.parametrize("fragment, text", [
    ("CO<sub>2</sub> uptake", "CO₂ uptake"),
    ("Ca<sup>2+</sup> waves at 10<sup>-3</sup> M", "Ca²⁺ waves at 10⁻³ M"),
    ("<jats:p>flux of 5 m<jats:sup>−2</jats:sup> s<jats:sup>−1</jats:sup></jats:p>", "flux of 5 m⁻² s⁻¹"),
    ("table<sup>a</sup> and x<sub>ij</sub>", "tablea and xij"),  # no such characters: the text as written
    (('<mml:math><mml:mfrac><mml:mi>a</mml:mi><mml:mrow><mml:mi>b</mml:mi><mml:mo>+</mml:mo><mml:mn>1</mml:mn>'
      '</mml:mrow></mml:mfrac><mml:mo>=</mml:mo><mml:msqrt><mml:mi>x</mml:mi></mml:msqrt></mml:math>'), "a/(b+1) = √x"),
    ('<math><semantics><msup><mi>e</mi><mn>2</mn></msup><annotation encoding="TeX">e^2</annotation></semantics></math>',
     "e²"),
])
def test_html_keeps_scripts_and_reads_formulas(fragment: str, text: str) -> None:
    assert keys.html_to_text(fragment) == text


_tags = st.sampled_from(["b", "i", "sup", "sub", "span", "math", "mi", "mo", "mn", "msub", "msup", "mfrac",
                         "mover", "mmultiscripts", "mprescripts", "none", "mtext", "semantics", "annotation"])
_markup = st.recursive(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=6).map(
    lambda t: t.replace("<", "").replace("&", "")),
    lambda inner: st.builds(lambda tag, parts: f"<{tag}>{''.join(parts)}</{tag}>", _tags, st.lists(inner, max_size=3)),
    max_leaves=12)


@given(st.lists(_markup, max_size=4).map("".join))
def test_any_inline_markup_reads_without_failing_and_plain_text_is_unchanged(fragment: str) -> None:
    text = keys.html_to_text(fragment)
    assert isinstance(text, str) and "<" not in text
    plain = fragment
    for tag in ("sup", "sub", "math", "mi", "mo", "mn", "msub", "msup", "mfrac", "mover", "mmultiscripts",
                "mprescripts", "none", "mtext", "semantics", "annotation"):
        if f"<{tag}>" in plain:
            return
    import lxml.html  # only text and plain tags: the text is lxml's own

    if plain.strip():
        assert text == lxml.html.fragment_fromstring(plain, create_parent="div").text_content()


def test_a_word_written_with_scripts_is_found_however_it_is_typed(store) -> None:  # type: ignore[no-untyped-def]
    # "CO2" found nothing in an abstract that says CO₂ (now that scripts are kept), and a keyword
    # chip "CO2" did not match it; typed as "co₂" a query found no "CO2" either.
    from academichub.ingest.pipeline import ingest
    from academichub.model import Paper
    from academichub.search.query import document, matches, parse
    from academichub.search.service import search

    ingest(store, [Paper(title="Rising CO₂ in a forest canopy", source="crossref", doi="10.1000/co2a",
                         abstract="We measured CO₂ at 5 m⁻² s⁻¹ over a year.", published=date(2025, 9, 1)),
                   Paper(title="Soil CO2 efflux after a fire", source="crossref", doi="10.1000/co2b",
                         abstract="Plain ASCII text about CO2.", published=date(2025, 9, 1))], source="crossref")
    for query in ("CO2", "co₂", 'abstract:"m-2 s-1"'):
        found = search(store, query, mode="text")
        assert {w.paper.doi for w, _ in found.hits} >= {"10.1000/co2a"}, query
    assert search(store, "co₂", mode="text").total == 2
    rising = document("Rising CO₂ in a forest canopy", "", frozenset(), ())
    assert matches(parse("CO2"), rising) and matches(parse("co₂"), document("Soil CO2 efflux", "", frozenset(), ()))

"""The keyword query syntax, shared by keyword subscriptions and search; hybrid search and "papers like this"."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from academichub.embedding.wordllama_model import WordLlamaEmbedder
from academichub.errors import InputError, NotFoundError
from academichub.model.accounts import Radar, Subscription
from academichub.model.works import Candidate
from academichub.radar.rules import RuleSet
from academichub.radar.subscriptions import follow, unfollow
from academichub.search.query import All, Any_, Document, Not, Term, matches, parse, positive_text, to_tantivy
from academichub.search.service import fuse, search, similar
from academichub.storage.store import Store

PAPER = Document(
    title="Machine Unlearning for Large Language Models",
    abstract="We study how diffusion models forget. A survey of video methods is not included.",
    author_keys=frozenset({"jianxiang he", "weiyu guo"}),
    categories=("cs.CL", "cs.LG"),
)


@pytest.mark.parametrize("query, expected", [
    ("unlearning", True),
    ("Unlearnings", True),  # a plural ending matches
    ("unlearn", False),  # whole words only
    ('"machine unlearning"', True),
    ('"unlearning machine"', False),
    ("diffusion AND video", True),
    ("diffusion video", True),  # AND is implied
    ("diffusion AND quantum", False),
    ("quantum OR unlearning", True),
    ("unlearning NOT survey", False),
    ("unlearning -survey", False),
    ("unlearning -quantum", True),
    ("(quantum OR diffusion) forget", True),
    ("title:unlearning", True),
    ("title:diffusion", False),
    ("abstract:diffusion", True),
    ('author:"Jianxiang He"', True),
    ("author:guo", True),  # a family name alone
    ("author:smith", False),
    ("cat:cs.CL", True),
    ("cat:cs", True),  # an archive: all its subjects
    ("cat:cs.CV", False),
    ("arXiv:2301.00001", False),  # not a field: a word that is absent
    # Field names in any case, and arXiv's prefixes: "Title:x" and "category:cs.CL" were words.
    ("Title:unlearning", True),
    ("TITLE:diffusion", False),
    ("ti:unlearning", True),
    ("abs:diffusion", True),
    ("au:guo", True),
    ("category:cs.CL", True),
    ("cat:CS.cl", True),
])
def test_query_matches(query: str, expected: bool) -> None:
    assert matches(parse(query), PAPER) is expected


@pytest.mark.parametrize("query, message", [
    ('"unbalanced', "unbalanced quote"),
    ("(a OR b", "missing ')'"),
    ("a OR", "expected a term"),
    ("title:", "needs a value"),
    ("   ", "empty query"),
    ("a )", "unexpected ')'"),
    ("(" * 33 + "a" + ")" * 33, "nested deeper than 32 levels"),
    ("-" * 33 + "a", "nested deeper than 32 levels"),
    ("(NOT " * 17 + "a" + ")" * 17, "nested deeper than 32 levels"),
])
def test_bad_queries_name_the_problem(query: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        parse(query)


def test_nesting_up_to_the_limit_still_parses() -> None:
    assert parse("(" * 32 + "unlearning" + ")" * 32) == Term("unlearning")
    assert matches(parse("-" * 32 + "unlearning"), PAPER) is True  # an even number of exclusions
    assert matches(parse("(" * 10 + "NOT (" * 11 + "quantum" + ")" * 21), PAPER) is True  # 32 levels, 11 exclusions


def test_parse_tree_and_tantivy_form() -> None:
    node = parse('title:"machine unlearning" OR (llm -survey)')
    assert node == Any_((Term("machine unlearning", "title", True), All((Term("llm"), Not(Term("survey"))))))
    assert to_tantivy(node) == '(title:"machine unlearning") OR (+(llm) -(survey))'
    assert to_tantivy(parse("cat:astro-ph")) == 'archives:"astro-ph"'
    assert positive_text('title:"machine unlearning" author:He -survey cat:cs.CL') == "machine unlearning"


WORDS = st.sampled_from(["unlearning", "diffusion", "video", "quantum", "survey", '"machine unlearning"',
                         "title:unlearning", "cat:cs", "author:guo"])


@st.composite
def queries(draw: st.DrawFn, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(WORDS)
    left, right = draw(queries(depth=depth - 1)), draw(queries(depth=depth - 1))
    op = draw(st.sampled_from(["AND", "OR", ""]))
    negate = draw(st.sampled_from(["", "NOT ", "-"]))
    return f"({left} {op} {negate}{right})".replace("  ", " ")


@given(queries())
@settings(max_examples=300, deadline=None)
def test_boolean_laws_hold(query: str) -> None:
    node = parse(query)
    value = matches(node, PAPER)
    assert matches(parse(f"NOT ({query})"), PAPER) is (not value)
    assert matches(parse(f"({query}) OR quantum"), PAPER) is value  # quantum is absent
    assert matches(parse(f"({query}) AND unlearning"), PAPER) is value  # unlearning is present


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        node = parse(text)
    except InputError:
        return
    to_tantivy(node)  # never raises on a parsed query
    matches(node, PAPER)


def test_keyword_subscriptions_use_the_query_syntax() -> None:
    candidate = Candidate(1, PAPER.title, PAPER.abstract, None, None, PAPER.categories, PAPER.author_keys)  # type: ignore[arg-type]
    subs = [Subscription(1, 1, "keyword", '"machine unlearning" -survey', ""),
            Subscription(2, 1, "keyword", "unlearning NOT quantum", ""),
            Subscription(3, 1, "keyword", "title:diffusion", "")]
    reasons = RuleSet(subs).match(candidate)
    assert [r.value for r in reasons] == ["unlearning NOT quantum"]


def test_a_stored_keyword_the_parser_now_refuses_matches_nothing_and_can_be_removed(
        sample_store: Store, fresh_radar: Radar) -> None:
    # Keywords of up to 200 characters nested 99 deep before the nesting limit; one stored then must
    # neither stop the radar's feed (its rules raised InputError) nor be impossible to unfollow.
    deep = "(" * 40 + "unlearning" + ")" * 40
    candidate = Candidate(1, PAPER.title, PAPER.abstract, None, None, PAPER.categories, PAPER.author_keys)  # type: ignore[arg-type]
    subs = [Subscription(1, 1, "keyword", deep, ""), Subscription(2, 1, "keyword", "unlearning", "")]
    assert [r.value for r in RuleSet(subs).match(candidate)] == ["unlearning"]
    sample_store.accounts.add_subscription(fresh_radar.id, "keyword", deep, deep.casefold())
    unfollow(sample_store, fresh_radar.id, "keyword", deep)
    assert deep not in [s.value for s in sample_store.accounts.subscriptions(fresh_radar.id)]


def test_follow_refuses_a_keyword_that_does_not_parse(sample_store: Store, fresh_radar: Radar) -> None:
    with pytest.raises(InputError, match="unbalanced quote"):
        follow(sample_store, fresh_radar.id, "keyword", '"machine unlearning')


def test_a_radar_holds_at_most_its_limit_of_chips_even_when_they_come_at_once(
        sample_store: Store, fresh_radar: Radar, monkeypatch: pytest.MonkeyPatch) -> None:
    # 2,345 keywords on one radar made its first 换一批 after each change take 16 s on the sample.
    from academichub.radar import subscriptions
    from tests.concurrency import allowed, at_once
    assert subscriptions.MAX_SUBSCRIPTIONS == 200
    monkeypatch.setattr(subscriptions, "MAX_SUBSCRIPTIONS", MAX_SUBSCRIPTIONS := 12)  # the same rule, sooner
    for n in range(MAX_SUBSCRIPTIONS - 3):
        sample_store.accounts.add_subscription(fresh_radar.id, "keyword", f"word{n}", f"word{n}")
    added = at_once(lambda n: allowed(lambda: follow(sample_store, fresh_radar.id, "keyword", f"late{n}"),
                                      f"at most {MAX_SUBSCRIPTIONS}", problem="too-many"), range(8))
    assert sum(added) == 3
    assert len(sample_store.accounts.subscriptions(fresh_radar.id)) == MAX_SUBSCRIPTIONS
    assert follow(sample_store, fresh_radar.id, "keyword", "word7").value == "word7"  # following again still answers
    unfollow(sample_store, fresh_radar.id, "keyword", "word7")
    follow(sample_store, fresh_radar.id, "category", "cs.CL")  # room again


def test_text_search_understands_the_syntax_and_filters(sample_store: Store) -> None:
    plain = search(sample_store, "unlearning", limit=50, mode="text")
    assert plain.total >= 5
    without = search(sample_store, "unlearning -diffusion", limit=50, mode="text")
    assert 0 < without.total < plain.total
    assert all("diffusion" not in (w.paper.title + w.paper.abstract).lower() for w, _ in without.hits)
    # A category in any case finds what a subscription to it matches (the index compared it exactly:
    # "cat:cs.ai" found nothing while the feed's keyword "cat:cs.ai" matched 1,044 papers).
    exact = search(sample_store, "cat:cs.AI", limit=5, mode="text").total
    assert exact > 100
    assert search(sample_store, "cat:cs.ai", limit=5, mode="text").total == exact
    assert search(sample_store, "category:CS.AI", limit=5, mode="text").total == exact
    assert search(sample_store, "cat:ASTRO-PH", limit=5, mode="text").total == \
        search(sample_store, "cat:astro-ph", limit=5, mode="text").total > 100
    assert search(sample_store, "model", category="CS.AI", limit=5, mode="text").total == \
        search(sample_store, "model", category="cs.AI", limit=5, mode="text").total > 10
    galaxies = search(sample_store, "galaxy", category="astro-ph", limit=20, mode="text")
    assert galaxies.hits and all(any(c.startswith("astro-ph") for c in w.paper.categories) for w, _ in galaxies.hits)
    assert search(sample_store, "galaxy", source="crossref", mode="text").total == 0
    assert search(sample_store, "galaxy", source="arxiv", mode="text").total == \
        search(sample_store, "galaxy", mode="text").total


def test_a_search_range_that_ends_before_it_starts_is_refused(sample_store: Store) -> None:
    # It answered "0 results", where the feed's period refuses the same range by name.
    with pytest.raises(InputError, match=r"ends \(2025-01-01\) before it starts \(2025-10-01\)"):
        search(sample_store, "galaxy", date_from=date(2025, 10, 1), date_to=date(2025, 1, 1), mode="text")
    one_day = search(sample_store, "galaxy", date_from=date(2025, 9, 26), date_to=date(2025, 9, 26), mode="text")
    assert one_day.total > 0


def test_a_search_narrowed_to_a_source_that_does_not_exist_is_refused(sample_store: Store) -> None:
    # "Nature", "arxv" or "nonsense" typed in the source box answered "0 results".
    for typo in ("nonsense", "arxv", "Nature"):
        with pytest.raises(InputError, match=r"unknown source .*; use arxiv, biorxiv, medrxiv, crossref, journal") as refused:
            search(sample_store, "galaxy", source=typo, mode="text")
        assert refused.value.problem == "source"
    assert search(sample_store, "galaxy", source=" ArXiv ", mode="text").total == \
        search(sample_store, "galaxy", source="arxiv", mode="text").total > 10
    assert search(sample_store, "galaxy", source="  ", mode="text").total == \
        search(sample_store, "galaxy", mode="text").total  # a blank source is no source


def test_a_paper_named_by_its_identifier_is_found(sample_store: Store) -> None:
    # Pasting an arXiv id, its link or its DOI into the box answered "0 results": no words matched.
    work = search(sample_store, "galaxy", limit=1, mode="text").hits[0][0]
    arxiv_id = work.public_id.removeprefix("arxiv:")
    embedder = WordLlamaEmbedder()
    for written in (arxiv_id, f"{arxiv_id}v3", f"arXiv:{arxiv_id}", f"https://arxiv.org/abs/{arxiv_id}v1",
                    f"arxiv.org/pdf/{arxiv_id}.pdf", f"https://doi.org/10.48550/arXiv.{arxiv_id}", f" {arxiv_id} "):
        for mode in ("text", "hybrid", "semantic"):
            found = search(sample_store, written, mode=mode, embedder=embedder)
            assert [w.id for w, _ in found.hits] == [work.id] and found.total == 1, (written, mode)
            assert found.mode == "id"
    # The filters of a topic search do not hide the one paper an identifier names.
    assert search(sample_store, arxiv_id, category="q-bio", mode="text").total == 1
    assert search(sample_store, arxiv_id, offset=20, mode="text").hits == []  # a second page is empty
    # An identifier no stored paper has is searched as words; a wrong option is still refused.
    assert search(sample_store, "2912.99999", mode="text").total == 0
    with pytest.raises(InputError, match="unknown mode"):
        search(sample_store, arxiv_id, mode="nonsense")
    assert search(sample_store, f"{arxiv_id} galaxy", mode="text").mode == "text"  # words with it: a search


def test_hybrid_search_fuses_text_and_meaning(sample_store: Store) -> None:
    embedder = WordLlamaEmbedder()
    text = search(sample_store, "forgetting training data in language models", limit=20, mode="text")
    meaning = search(sample_store, "forgetting training data in language models", limit=20, mode="semantic",
                     embedder=embedder)
    hybrid = search(sample_store, "forgetting training data in language models", limit=20, embedder=embedder)
    assert hybrid.mode == "hybrid" and hybrid.hits
    # Semantic search finds unlearning papers that do not use the query's words.
    assert any("unlearning" in w.paper.title.lower() for w, _ in meaning.hits[:10])
    ids = lambda result: {w.id for w, _ in result.hits}
    assert ids(hybrid) & ids(text) and ids(hybrid) & ids(meaning)
    dated = search(sample_store, "galaxy", embedder=embedder, date_from=pytest.importorskip("datetime").date(2025, 9, 1))
    assert all(w.feed_date.isoformat() >= "2025-09-01" for w, _ in dated.hits)
    excluded = search(sample_store, "language model unlearning -diffusion", limit=50, embedder=embedder)
    assert all("diffusion" not in (w.paper.title + w.paper.abstract).lower() for w, _ in excluded.hits)


def test_hybrid_counts_say_how_many_papers_matched(sample_store: Store) -> None:
    embedder = WordLlamaEmbedder()
    text = search(sample_store, "unlearning", limit=50, mode="text")
    hybrid = search(sample_store, "unlearning", limit=50, embedder=embedder)
    # The meaning adds only papers close to the query, not its 200 nearest whatever they are.
    assert text.total <= hybrid.total < text.total + 20
    assert {w.id for w, _ in text.hits} <= {w.id for w, _ in hybrid.hits}
    # A query in Chinese over English papers matches nothing rather than 200 unrelated papers.
    assert search(sample_store, "视频", embedder=embedder).total == 0
    assert search(sample_store, "视频", embedder=embedder, mode="semantic").total == 0
    # Past the fused head the text matches go on in their own order: every page is full and the
    # pages never repeat a paper, up to the count.
    broad = search(sample_store, "galaxy", limit=100, embedder=embedder)
    assert broad.total > 300
    seen: list[int] = []
    for offset in range(0, broad.total, 100):
        page = search(sample_store, "galaxy", limit=100, offset=offset, embedder=embedder)
        assert len(page.hits) == min(100, broad.total - offset)
        seen += [w.id for w, _ in page.hits]
    assert len(seen) == len(set(seen)) == broad.total


def test_reciprocal_rank_fusion() -> None:
    fused = fuse([1, 2, 3], [3, 1, 4])
    assert [i for i, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


def test_papers_like_this(sample_store: Store) -> None:
    work, found = similar(sample_store, WordLlamaEmbedder(), "arxiv:2508.06869", limit=5)
    assert work.paper.arxiv_id == "2508.06869" and len(found) == 5
    assert work.id not in {w.id for w in found}
    assert sum("video" in (w.paper.title + w.paper.abstract).lower() for w in found) >= 4
    with pytest.raises(NotFoundError):
        similar(sample_store, WordLlamaEmbedder(), "arxiv:0000.00000")


def test_exact_and_hnsw_neighbours_agree(sample_store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from academichub.storage.vector_index import VectorIndex

    embedder = WordLlamaEmbedder()
    query = embedder.embed(["keyframe selection for long video understanding"])[0]
    exact = VectorIndex(sample_store.vectors, embedder.tag, tmp_path, ann_threshold=10**9).nearest(query, 10)
    ann = VectorIndex(sample_store.vectors, embedder.tag, tmp_path, ann_threshold=0)
    approximate = ann.nearest(query, 10)
    assert (tmp_path / f"{embedder.tag}.usearch").exists()
    assert len({i for i, _ in exact} & {i for i, _ in approximate}) >= 8
    assert approximate[0][0] == exact[0][0] and approximate[0][1] == pytest.approx(exact[0][1], abs=1e-2)
    allowed = {i for i, _ in exact[5:]}
    assert {i for i, _ in ann.nearest(query, 3, allowed=allowed)} <= allowed

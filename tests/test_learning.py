"""The radar that learns, on both databases: authors disambiguated, feedback, libraries, the per-user model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from academichub import tfidf
from academichub.embedding.wordllama_model import WordLlamaEmbedder
from academichub.i18n import gettext_for
from academichub.ingest.pipeline import ingest
from academichub.library import importer
from academichub.model import Author, Paper
from academichub.model.accounts import Radar, Subscription
from academichub.present.feed import page_json
from academichub.radar import feedback
from academichub.radar.authors import AuthorRecord, author_decision, full_variants, initials_of, match
from academichub.radar.feed import FeedService
from academichub.radar.subscriptions import follow
from academichub.ranking.learned import Example, Pool, UserModel, recency_weight
from academichub.ranking.ranker import diversify
from academichub.settings import FeedSettings, RankingSettings
from academichub.storage.store import Store
from tests.conftest import DATA

en = gettext_for("en")
DAY = date(2025, 9, 26)  # the sample's latest announcement day


@pytest.fixture(scope="module")
def embedder() -> WordLlamaEmbedder:
    return WordLlamaEmbedder()


@pytest.fixture
def feed(sample_store: Store, embedder: WordLlamaEmbedder) -> FeedService:
    return FeedService(sample_store, FeedSettings(), ranking=RankingSettings(), embedder=embedder)


def test_name_variants_cover_order_hyphens_and_initials() -> None:
    assert full_variants("jianxiang he") == {"jianxiang he", "he jianxiang"}
    assert "jianxiang he" in full_variants("jian xiang he") and "he jianxiang" in full_variants("jian xiang he")
    assert initials_of("jianxiang he") == {"j he"}
    assert "j x he" in initials_of("jian xiang he") and "jx he" in initials_of("jian xiang he")


def test_author_match_needs_evidence_for_initials() -> None:
    record = AuthorRecord.for_subscription(Subscription(7, 1, "author", "Jianxiang He", "jianxiang he"))
    record.learn((("jianxiang he", "Jianxiang He", None), ("weiyu guo", "Weiyu Guo", "0000-0001-0000-0001")),
                 ("cs.CV",))
    assert match(record, 1, frozenset({"he jianxiang"}), ()).sure  # Chinese order
    assert match(record, 2, frozenset({"j he", "someone else"}), ("astro-ph.GA",)) is None  # a bare "J. He"
    asked = match(record, 3, frozenset({"j he", "weiyu guo"}), ("cs.CV",))
    assert asked.ask and not asked.sure and asked.evidence == ("co-authors: Weiyu Guo", "categories: cs.CV")
    record.decisions = {3: True, 4: False}
    assert match(record, 3, frozenset({"j he", "weiyu guo"}), ("cs.CV",)).evidence == ("confirmed by you",)
    assert match(record, 4, frozenset({"jianxiang he"}), ()) is None  # the reader said: not this one
    record.orcid = "0000-0002-1825-0097"
    by_orcid = match(record, 5, frozenset({"j x he"}), (), (("j x he", "J. X. He", "0000-0002-1825-0097"),))
    assert by_orcid.sure and by_orcid.evidence == ("ORCID 0000-0002-1825-0097",)


@pytest.fixture
def namesakes(sample_store: Store) -> Iterator[dict[str, int]]:
    """Three papers announced on the sample's last day, by "He Jianxiang" and by two "J. He"s."""
    def paper(arxiv_id: str, title: str, names: list[str], category: str) -> Paper:
        return Paper(title=title, source="arxiv", arxiv_id=arxiv_id, arxiv_version=1,
                     abstract=f"{title}. We report experiments.", categories=[category], primary_category=category,
                     authors=[Author(n, " ".join(n.lower().replace(".", " ").split())) for n in names], announced=DAY)
    papers = [
        paper("2509.90001", "Keyframe retrieval agents for hour-long video question answering",
              ["He Jianxiang", "Hui Xiong"], "cs.CV"),
        paper("2509.90002", "Subtitle-aware frame sampling for video language models",
              ["J. He", "Weiyu Guo", "Alex Stranger"], "cs.CV"),
        paper("2509.90003", "Dust attenuation in dwarf galaxies at cosmic noon",
              ["J. He", "A. Astronomer"], "astro-ph.GA"),
    ]
    ingest(sample_store, papers, source="arxiv")
    ids = {p.arxiv_id: sample_store.works.id_for_public(f"arxiv:{p.arxiv_id}") for p in papers}
    try:
        yield ids
    finally:  # the store is shared by this module's tests
        with sample_store.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM works WHERE arxiv_id LIKE :ids"), {"ids": "2509.9000%"})
        sample_store.sync_index()


def _reasons(feed: FeedService, radar: Radar, work_id: int) -> list[tuple[str, str, str]]:
    from academichub.radar import periods

    period = periods.resolve("all", feed.store.works, recent_days=5)
    for ranked in feed.ranked(radar, period, set(), 10_000):
        if ranked.work_id == work_id:
            return [(r.kind, r.value, r.detail) for r in ranked.reasons]
    raise AssertionError(f"work {work_id} not ranked")


def test_following_jianxiang_he_does_not_pull_in_every_j_he(feed: FeedService, sample_store: Store,
                                                             fresh_radar: Radar, namesakes: dict[str, int]) -> None:
    follow(sample_store, fresh_radar.id, "author", "Jianxiang He")
    radar = sample_store.accounts.get_radar(fresh_radar.id)
    assert ("author", "Jianxiang He", "") in _reasons(feed, radar, namesakes["2509.90001"])  # written family-first
    asked = [r for r in _reasons(feed, radar, namesakes["2509.90002"]) if r[0].startswith("author")]
    assert asked == [("author?", "Jianxiang He", "co-authors: Weiyu Guo; categories: cs.CV")]
    assert not any(r[0].startswith("author") for r in _reasons(feed, radar, namesakes["2509.90003"]))
    # The card asks once; the answer is remembered and turns the question into a match.
    author_decision(sample_store, radar, "jianxiang he", "arxiv:2509.90002", True)
    assert ("author", "Jianxiang He", "confirmed by you") in _reasons(feed, radar, namesakes["2509.90002"])
    author_decision(sample_store, radar, "Jianxiang He", "arxiv:2509.90002", False)
    assert not any(r[0].startswith("author") for r in _reasons(feed, radar, namesakes["2509.90002"]))
    card = {"kind": "author?", "value": "Jianxiang He", "detail": "co-authors: Weiyu Guo"}
    from academichub.present.feed import reason_text
    from academichub.ranking.reasons import Reason
    assert reason_text(Reason(**card), gettext_for("zh")) == "是这位 Jianxiang He 吗? (co-authors: Weiyu Guo)"


def test_likes_teach_the_feed_and_undo_takes_them_back(feed: FeedService, sample_store: Store,
                                                        fresh_radar: Radar) -> None:
    user_id = fresh_radar.user_id
    cold = page_json(feed.current(fresh_radar, period="all"), en)["items"]
    assert all(item["reason_codes"][0]["kind"] == "recent" for item in cold)  # nothing to learn from yet
    galaxies = [sample_store.works.get(i).public_id for i, _ in sample_store.search("galaxy", limit=6).hits]
    for paper in galaxies:
        feedback.give(sample_store, user_id, paper, "like")
    started = time.perf_counter()
    learned = page_json(feed.next(fresh_radar, period="all"), en)["items"]
    assert time.perf_counter() - started < 30  # retrained on the request (the bench measures it properly)
    astro = [item for item in learned if any(c.startswith("astro-ph") for c in item["categories"])]
    assert len(astro) >= 8, [item["title"] for item in learned]
    assert not {item["id"] for item in learned} & set(galaxies)  # liked papers are not shown again
    assert any(r.startswith("Similar to a paper you liked «") for item in learned for r in item["reasons"])
    for paper in galaxies:
        feedback.undo(sample_store, user_id, paper)
    assert sample_store.feedback.all(user_id) == []


def test_dismiss_hides_and_less_like_this_pushes_a_topic_down(feed: FeedService, sample_store: Store,
                                                               fresh_radar: Radar) -> None:
    from academichub.radar import periods

    follow(sample_store, fresh_radar.id, "category", "cs.CV")
    radar = sample_store.accounts.get_radar(fresh_radar.id)
    period = periods.resolve("all", sample_store.works, recent_days=5)
    before = feed.ranked(radar, period, set(), 300)
    first = sample_store.works.get(before[0].work_id)
    feedback.give(sample_store, radar.user_id, first.public_id, "dismiss")
    dismissed = feed.ranked(radar, period, set(), 300)
    assert first.id not in {r.work_id for r in dismissed}
    # "Less like this" on a video paper: papers close to it sink, the rest of cs.CV stays.
    video = next(r for r in before[1:] if "video" in sample_store.works.get(r.work_id).paper.title.lower())
    feedback.give(sample_store, radar.user_id, sample_store.works.get(video.work_id).public_id, "less")
    after = feed.ranked(radar, period, set(), 300)
    is_video = lambda ranked: sum("video" in sample_store.works.get(r.work_id).paper.title.lower()
                                  for r in ranked[:50])
    assert is_video(after) < is_video(before) / 2
    feedback.undo(sample_store, radar.user_id, sample_store.works.get(video.work_id).public_id)
    restored = feed.ranked(radar, period, set(), 300)
    assert [r.work_id for r in restored] == [r.work_id for r in dismissed]  # undo restores the order exactly


def test_a_library_makes_a_feed_about_its_topics(feed: FeedService, sample_store: Store, fresh_radar: Radar,
                                                 embedder: WordLlamaEmbedder) -> None:
    library = DATA / "library" / "researcher_library_materials_physics_1436-3.bib.gz"
    report = importer.import_file(sample_store, embedder, fresh_radar.user_id, library)
    assert report.imported == 7156  # 10 repeated entries (one only by its formula's spelling) left out
    items = page_json(feed.current(fresh_radar, period="all"), en)["items"]
    words = ("semiconductor", "nanowire", "quantum", "optical", "photon", "laser", "crystal", "electron", "solar",
             "material", "spin", "magnetic", "thin film", "plasma", "superconduct")
    on_topic = [i for i in items if any(w in (i["title"] + i["abstract"]).lower() for w in words)]
    assert len(on_topic) >= 7, [i["title"] for i in items]
    assert sum(not i["categories"][0].startswith("cs.") for i in items) >= 7  # a CS-heavy sample, physics on top
    assert sum(i["reasons"][0].startswith("Similar to your library paper «") for i in items) >= 7


def test_a_library_entry_of_a_word_or_two_teaches_nothing_and_explains_nothing(
        feed: FeedService, sample_store: Store, fresh_radar: Radar, embedder: WordLlamaEmbedder) -> None:
    # A hand-kept BibTeX entry titled "x" was learnt from its own text: its embedding sat at cosine
    # 0.4 of galaxy papers, and the first card of the feed said "similar to your library paper «x»".
    from academichub.ranking import profile

    bib = ("@article{a, title={x}}\n@article{b, title={Untitled}}\n"
           "@article{c, title={Dust attenuation in star-forming galaxies at cosmic noon}}\n")
    importer.import_bytes(sample_store, embedder, fresh_radar.user_id, bib.encode(), "hand.bib")
    built = profile.build(sample_store, embedder, fresh_radar.user_id, [], [], RankingSettings(), date(2025, 9, 26),
                          lookup=lambda ids, weights, kind: [])
    assert [e.title for e in built.positives if e.kind == "library"] == [
        "Dust attenuation in star-forming galaxies at cosmic noon"]
    items = page_json(feed.current(fresh_radar, period="all"), en)["items"]
    assert not any("«x»" in reason or "«Untitled»" in reason for i in items for reason in i["reasons"])


def test_the_model_switches_from_centroid_to_classifier() -> None:
    galaxy = ["galaxy cluster dark matter halo mass", "dwarf galaxy star formation dust", "galaxy rotation curve halo",
              "stellar mass of galaxy groups", "quasar host galaxy spectra"]
    language = ["neural language model training data", "transformer attention for text", "language model alignment",
                "tokenizer for multilingual text models", "instruction tuning of language models"]
    window = galaxy + language  # rows 0-9 are ranked
    background = [g + " survey" for g in galaxy] * 2 + [t + " benchmark" for t in language] * 6
    texts = window + background
    rng = np.random.default_rng(1)
    topic = np.array([[1.0, 0, 0, 0]] * 5 + [[0, 1.0, 0, 0]] * 5 + [[1.0, 0, 0, 0]] * 10 + [[0, 1.0, 0, 0]] * 30)
    dense = (topic + 0.3 * rng.normal(size=topic.shape)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    vectorizer = tfidf.fitted(texts)
    sparse = tfidf.transform(vectorizer, texts)
    pool = Pool(list(range(len(texts))), sparse, dense, len(window))
    liked = [Example(dense[r], texts[r], work_id=r) for r in range(10, 20)]  # galaxy papers of the background
    model = UserModel(vectorizer).fit(liked[:3], [], pool, min_positives=5)
    assert model.mode == "centroid"
    scores = model.score(sparse[:10], dense[:10])
    assert scores[:5].min() > scores[5:].max()
    model = UserModel(vectorizer).fit(liked, [], pool, min_positives=5)
    assert model.mode == "classifier"
    scores = model.score(sparse[:10], dense[:10])
    assert scores[:5].min() > scores[5:].max()  # every galaxy paper above every language-model paper
    nearest, cosine = model.nearest_positive(dense[0])
    assert nearest.work_id in range(10, 20) and cosine > 0.5
    assert UserModel(vectorizer).fit([], [], pool, min_positives=5).mode == "empty"
    disliked = UserModel(vectorizer).fit([], [Example(dense[5], texts[5], 4.0, kind="less")], pool, min_positives=5)
    sunk = disliked.score(sparse[:10], dense[:10])
    assert disliked.informed and sunk[5] == sunk.min() < -1.5 and sunk[:5].min() == 0  # "less like this"


def test_recency_weight_halves_at_the_half_life() -> None:
    today = date(2026, 1, 1)
    assert recency_weight(today, today, 180) == 1.0
    assert recency_weight(date(2025, 7, 5), today, 180) == pytest.approx(0.5, abs=0.01)
    assert recency_weight(date(2010, 1, 1), today, 180) == 0.2  # never below the floor
    assert recency_weight(None, today, 180) == 0.5


def test_mmr_keeps_one_topic_from_filling_a_batch() -> None:
    rng = np.random.default_rng(3)
    topic = np.array([1.0] + [0.0] * 15)
    others = {7, 12, 18, 24, 29}  # five papers on other topics among the 30 best
    vectors = np.vstack([np.eye(16)[1 + (r % 15)] if r in others else topic + 0.05 * rng.normal(size=16)
                         for r in range(30)]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    keys = np.linspace(10, 7, 30)
    assert diversify(keys, vectors, 10, 0.0) == list(range(10))
    picked = diversify(keys, vectors, 10, 0.3)
    assert picked[0] == 0 and len(others & set(picked)) >= 3
    assert len(set(picked)) == 10


def test_min_score_and_filter_rules(sample_store: Store, fresh_radar: Radar, embedder: WordLlamaEmbedder) -> None:
    from academichub.radar import periods

    follow(sample_store, fresh_radar.id, "keyword", "unlearning")
    radar = sample_store.accounts.get_radar(fresh_radar.id)
    period = periods.resolve("all", sample_store.works, recent_days=5)
    strict = FeedService(sample_store, FeedSettings(), ranking=RankingSettings(rules="filter"), embedder=embedder)
    shown = strict.ranked(radar, period, set(), 500)
    assert shown and all(any(r.kind == "keyword" for r in s.reasons) for s in shown)
    picky = FeedService(sample_store, FeedSettings(), ranking=RankingSettings(min_score=0.9), embedder=embedder)
    relaxed = FeedService(sample_store, FeedSettings(), embedder=embedder)
    assert len(picky.ranked(radar, period, set(), 5000)) < len(relaxed.ranked(radar, period, set(), 5000)) / 2


def test_two_stores_with_the_same_vocabulary_version_never_share_a_transformer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Versions restart at 1 in every store; a process that opens two (tests, the eval harness) once
    # transformed one store's texts with the other's vocabulary.
    from tests.conftest import make_settings

    vectors = []
    for name, terms in (("a", ["galaxy", "redshift"]), ("b", ["protein", "folding"])):
        with Store.open(make_settings(tmp_path / name)) as store:
            version = store.features.create_vocabulary(terms, np.ones(2, dtype=np.float32), 10)
            store.features.publish(version)
            vocab = store.features.vocabulary()
            assert vocab.id == 1
            vectorizer = tfidf.vectorizer_for(vocab.digest, vocab.terms, vocab.idf)
            vectors.append(tfidf.transform(vectorizer, ["protein folding of a galaxy"]).toarray()[0])
    assert np.allclose(vectors[0], [1, 0]) and np.allclose(vectors[1], [0.7071, 0.7071], atol=1e-3)


def _sklearn(documents: int, vocabulary: dict[str, int] | None = None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    large = documents >= tfidf.LARGE
    return TfidfVectorizer(lowercase=True, strip_accents="unicode", stop_words="english",
                           token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2),
                           max_features=None if vocabulary else tfidf.MAX_TERMS, sublinear_tf=True,
                           dtype=np.float32, min_df=tfidf.MIN_DF if large else 1,
                           max_df=tfidf.MAX_DF if large else 1.0, vocabulary=vocabulary)


def _sample_texts() -> list[str]:
    from academichub.sources.formats import read_items

    sample = Path(tfidf.__file__).parent / "data" / "sample" / "arxiv-sample.jsonl.gz"
    _fmt, items = read_items(sample)
    return [f"{p.title}. {p.abstract}" for p in items if hasattr(p, "title")]


def test_the_bulk_vectorizer_computes_what_sklearn_computes() -> None:
    # tfidf replaces TfidfVectorizer for speed (one tokenisation in polars and numpy, not a Python
    # loop per token); features stored at ingest must be the rows the ranker was tuned on.
    texts = _sample_texts()
    texts = texts[:3000] + ["Ünïcödé Café naïve façade — résumé of the ÉCOLE", "", "the of and", "x y z",
                            "Caf\u00e9 caf\u0065\u0301 \u00b2nd x\u00b2y α-decay β2 _under_score 2fast"]
    terms, idf, rows = tfidf.fit_transform(texts)
    reference = _sklearn(len(texts))
    expected_rows = reference.fit_transform(texts)
    assert terms == reference.get_feature_names_out().tolist()
    assert np.allclose(idf, reference.idf_, atol=1e-6)
    assert rows.shape == expected_rows.shape and abs(rows - expected_rows).max() < 1e-6
    assert rows.has_sorted_indices
    # A stored vocabulary transforms other texts as scikit-learn does with the same terms and IDF.
    others = _sample_texts()[3000:3500] + ["graph neural networks for protein folding", "Nothing known here"]
    fixed = _sklearn(len(terms), {t: i for i, t in enumerate(terms)})
    fixed.fit(["academichub"])
    fixed.idf_ = idf.astype(np.float64)
    assert abs(tfidf.fitted(texts).transform(others) - fixed.transform(others)).max() < 1e-6
    assert tfidf.Vectorizer(terms, idf).transform([]).shape == (0, len(terms))


# Letters, digits, punctuation, accents (composed and combining), Greek, stop words and whole words.
_PIECES = st.sampled_from([*"abcxyz019_ .,-\n\u00e9\u0301\u00c9\u03b1\u00b2", "the", "model", "of", "graph",
                           "neural", "network", "2d", "co2"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=40).map("".join) | st.text(max_size=60), max_size=12))
def test_the_bulk_vectorizer_matches_sklearn_on_any_small_corpus(texts: list[str]) -> None:
    terms, idf, rows = tfidf.fit_transform(texts)
    try:
        expected = _sklearn(len(texts)).fit(texts)
    except ValueError:  # scikit-learn refuses a corpus without a single term
        assert terms == ["academichub"] and rows.nnz == 0
        return
    assert terms == expected.get_feature_names_out().tolist()
    assert abs(rows - expected.transform(texts)).max() < 1e-6


def test_a_library_paper_is_never_recommended_nor_explained_by_itself(
        feed: FeedService, sample_store: Store, fresh_radar: Radar, embedder: WordLlamaEmbedder) -> None:
    # Seen on the first screen: export a batch, import it as a library, and 9 of 10 came back
    # as "Similar to your library paper «its own title»".
    import uuid

    from academichub.export.citations import export

    other = sample_store.accounts.create_user(f"exporter-{uuid.uuid4().hex[:8]}", "Exporter")
    theirs = sample_store.accounts.default_radar(other.id)
    for radar in (theirs, fresh_radar):
        follow(sample_store, radar.id, "keyword", "video")
    exported = [card.work for card in feed.current(theirs, period="all").cards]  # what this reader would see first
    bibtex = export(exported, "bibtex")
    report = importer.import_bytes(sample_store, embedder, fresh_radar.user_id, bibtex.encode(), "batch.bib")
    assert report.imported == len(exported) == 10 and sum(report.matched.values()) == 10
    known = {w.id for w in exported}
    shown = list(feed.current(fresh_radar, period="all").cards)
    for _ in range(2):
        shown += feed.next(fresh_radar, period="all").cards
    assert shown and not known & {card.work.id for card in shown}
    for card in shown:
        assert not any(r.kind == "similar_to" and r.detail == card.work.paper.title for r in card.reasons), card.reasons
    liked = shown[0].work
    feedback.give(sample_store, fresh_radar.user_id, liked.public_id, "like")
    again = [card.work.id for _ in range(3) for card in feed.next(fresh_radar, period="all").cards]
    assert liked.id not in again  # a liked paper is known too


def test_a_radar_retrains_once_its_inputs_settle_or_at_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each like asked for a retrain that ran beside the reader's next 换一批 (0.6 s of CPU each on
    # the corpus). A radar now trains once it has been still for the settle time, or at the latest
    # five settle times after it was first asked, so a reader who never stops still gets one.
    import time

    from academichub.settings import RankingSettings
    from academichub.worker import training

    trained: list[tuple[int, float]] = []
    monkeypatch.setattr(training, "train_radar", lambda _s, _m, _r, radar_id, embedder: trained.append(
        (radar_id, time.monotonic())))
    trainer = training.BackgroundTrainer(None, None, RankingSettings(retrain_settle_seconds=0.3), embedder=None)  # type: ignore[arg-type]
    start = time.monotonic()
    for _ in range(3):  # three likes 0.15 s apart: one retrain, 0.3 s after the last
        trainer.schedule(1)
        time.sleep(0.15)
    assert trainer.wait_idle(5)
    assert [r for r, _ in trained] == [1] and trained[0][1] - start >= 0.6
    trained.clear()
    start = time.monotonic()
    while time.monotonic() - start < 2.5:  # a like every 0.1 s for 2.5 s: trained by the cap (1.5 s)
        trainer.schedule(2)
        time.sleep(0.1)
    assert trained and trained[0][0] == 2 and 1.4 <= trained[0][1] - start <= 2.0
    assert trainer.wait_idle(5)
    instant = training.BackgroundTrainer(None, None, RankingSettings(retrain_settle_seconds=0), embedder=None)  # type: ignore[arg-type]
    trained.clear()
    start = time.monotonic()
    instant.schedule(3)
    assert instant.wait_idle(5) and trained[0][1] - start < 0.2

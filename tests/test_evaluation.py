"""The evaluation harness and the offline ranker: metrics, time-split protocols, CLI contracts."""

from __future__ import annotations

import gzip
import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from academichub.evaluation.metrics import ndcg_at, recall_at, reciprocal_rank
from academichub.evaluation.protocols import author_tasks, category_tasks, load_corpus, small_library_tasks, split
from tests.test_cli import run

SAMPLE = Path(__file__).parents[1] / "src/academichub/data/sample/arxiv-sample.jsonl.gz"


def test_metrics_on_known_rankings() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.1])
    assert ndcg_at(scores, {0}) == 1.0
    assert ndcg_at(scores, {1}) == pytest.approx(1 / math.log2(3))
    assert ndcg_at(scores, {1, 3}, k=2) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert recall_at(scores, {0, 3}, k=2) == 0.5 and reciprocal_rank(scores, {2, 3}) == pytest.approx(1 / 3)
    # A constant scorer gets no credit from ties: they break by row order, not in its favour.
    assert reciprocal_rank(np.zeros(4), {3}) == 0.25


@given(st.lists(st.floats(-5, 5), min_size=1, max_size=30), st.sets(st.integers(0, 29), max_size=10))
def test_metrics_stay_within_their_bounds(values: list[float], relevant: set[int]) -> None:
    scores, relevant = np.array(values), {r for r in relevant if r < len(values)}
    for value in (ndcg_at(scores, relevant), recall_at(scores, relevant, k=5), reciprocal_rank(scores, relevant)):
        assert 0.0 <= value <= 1.0 + 1e-9
    if relevant:  # ranking the relevant rows first is always perfect
        perfect = np.array([1.0 if i in relevant else 0.0 for i in range(len(values))])
        assert ndcg_at(perfect, relevant) == pytest.approx(1.0)


def test_protocols_split_by_time_and_hide_nothing_across_it() -> None:
    corpus = load_corpus(SAMPLE)
    cutoff, end = date(2025, 9, 15), date(2025, 9, 27)
    before, after = split(corpus, cutoff, end, date(2025, 1, 1))
    assert before and after and max(corpus.days[r] for r in before) < cutoff <= min(corpus.days[r] for r in after)
    for task in author_tasks(corpus, before, after, count=10, seed=1):
        assert len(task.library) >= 3 and set(task.library) <= set(before) and task.relevant <= set(after)
        circle = {a for row in task.library for a in corpus.authors[row]}
        assert all(corpus.authors[row] & circle for row in task.relevant)
        assert all(task.name not in text.lower() for text in (corpus.texts[r] for r in task.relevant))
    for task in small_library_tasks(corpus, before, after, count=10, seed=1):
        assert 3 <= len(task.library) <= 20 and set(task.library) <= set(before)
        assert task.relevant and all(task.name in corpus.authors[r] for r in task.relevant)  # only their own papers
    categories = category_tasks(corpus, before, after, count=3, seed=1)
    assert categories and all(t.relevant == {r for r in after if corpus.primary[r] == t.name} for t in categories)


def test_eval_prints_every_ranker_on_every_protocol(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--home", str(tmp_path / "home"), "eval", "--json", "--author-tasks", "4",
                       "--category-tasks", "2", "--small-tasks", "3", "--dense-weights", "0,0.6",
                       "--dense-views", "lsa,coauthor", "--half-lives", "30,180,inf")
    assert code == 0, out
    result = json.loads(out)
    assert set(result["results"]) == {"author", "small-library", "category"}
    assert result["tasks"] == {"author": 4, "small-library": 3, "category": 2}
    summary = result["summary"]["small-library"]
    assert summary["tasks"] == 3 and summary["best_baseline"] in {"bm25", "tfidf-svm", "tfidf-centroid", "centroid"}
    for ranker in summary["rankers"].values():
        low, high = ranker["ci95"]
        assert low <= ranker["ndcg@10"] <= high
    # The weighted runs are the same fitted model: weight 0 is the sparse view, 0.6 the product's fusion.
    for row in result["summary"].values():
        ndcg = {name: values["ndcg@10"] for name, values in row["rankers"].items()}
        assert ndcg["academichub@dense=0"] == ndcg["academichub-sparse"]
        assert ndcg["academichub@dense=0.6"] == ndcg["academichub"]
        assert ndcg["academichub@half-life=180"] == ndcg["academichub"]  # the product's half-life
    # The half-life is learned like the weight: the best mean over protocols on the tuning cut-offs.
    recency = result["half_life"]
    assert set(recency["tuning"]) == {"30", "180", "inf"} and recency["held_out"] is None
    assert recency["tuning"][f"{recency['half_life']:g}"] == max(recency["tuning"].values())
    decayed = [row["rankers"]["academichub@half-life=30"]["ndcg@10"] for row in result["summary"].values()]
    assert decayed != [row["rankers"]["academichub@half-life=inf"]["ndcg@10"] for row in result["summary"].values()]
    learned = result["dense_weight"]
    assert learned["weight"] in (0.0, 0.6) and set(learned["tuning"]) == {"0.0", "0.6"} and learned["held_out"] is None
    # Each learned view ran as the centroid's vectors and as our dense view, and the choice
    # between the dense views reads the same per-protocol means as the table.
    chosen = result["dense_view"]
    assert set(chosen["tuning"]) == {"embeddings", "lsa", "coauthor"} and chosen["held_out"] is None
    assert chosen["tuning"][chosen["view"]] == max(chosen["tuning"].values())
    means = {name: sum(row["rankers"][name]["ndcg@10"] for row in result["summary"].values()) / 3
             for name in ("academichub", "academichub@coauthor")}
    assert chosen["tuning"]["embeddings"] == pytest.approx(means["academichub"], abs=2e-4)
    assert chosen["tuning"]["coauthor"] == pytest.approx(means["academichub@coauthor"], abs=2e-4)
    views_ran = [(row["rankers"]["academichub@lsa"]["ndcg@10"], row["rankers"]["centroid@coauthor"]["ndcg@10"])
                 for row in result["summary"].values()]
    assert views_ran != [(row["rankers"]["academichub"]["ndcg@10"], row["rankers"]["centroid"]["ndcg@10"])
                         for row in result["summary"].values()]  # the views were used, not the embeddings
    for protocol in result["results"].values():
        assert set(protocol) == {"academichub", "academichub-sparse", "bm25", "tfidf-svm", "tfidf-centroid", "centroid",
                                 "academichub@dense=0", "academichub@dense=0.6", "centroid@lsa", "academichub@lsa",
                                 "centroid@coauthor", "academichub@coauthor", "academichub@half-life=30",
                                 "academichub@half-life=180", "academichub@half-life=inf"}
        assert all(0 <= m[name] <= 1 for m in protocol.values() for name in ("ndcg@10", "recall@50", "mrr"))
    code, out, _ = run(capsys, "--home", str(tmp_path / "home"), "eval", "--cutoff", "2031-01-01")
    assert code != 0
    code, _, err = run(capsys, "--home", str(tmp_path / "home"), "eval", "--dense-views", "lsa,word2vec")
    assert code != 0 and "unknown dense view 'word2vec'" in err
    for wrong in ("90,soon", "0", "-30", "nan"):
        code, _, err = run(capsys, "--home", str(tmp_path / "home"), "eval", "--half-lives", wrong)
        assert code != 0 and "--half-lives" in err
    for wrong in ("0.6,heavy", "nan", "inf", "-1"):  # a nan weight was run, "learned" and printed as the best
        code, _, err = run(capsys, "--home", str(tmp_path / "home"), "eval", "--dense-weights", wrong)
        assert code != 0 and "--dense-weights" in err


def test_rank_reproduces_a_ranking_for_each_library(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl.gz"
    with gzip.open(SAMPLE, "rt") as source, gzip.open(corpus, "wt") as target:
        for line in source:
            target.write(line)
        target.write(json.dumps({"id": "2509.99999", "title": "Keyframe selection for long video question answering",
                                 "abstract": "Long video understanding needs keyframe search over frames.",
                                 "primary_category": "cs.CV", "first_listed": "2025-09-26"}) + "\n")
    video = tmp_path / "video.bib"
    video.write_text("@article{a, title={Logic-in-Frames: Dynamic Keyframe Search via Visual Semantic-Logical "
                     "Verification for Long Video Understanding}, eprint={2503.13139}, archiveprefix={arXiv}}\n"
                     "@article{b, title={Long video understanding with keyframe retrieval}, "
                     "abstract={We select keyframes from long videos for question answering.}}\n")
    other = Path(__file__).parent / "data/library/zotero_export.ris"
    code, out, err = run(capsys, "--home", str(tmp_path / "home"), "rank", "--library", str(video), "--library",
                         str(other), "--corpus", str(corpus), "--from", "2025-09-22", "--to", "2025-09-26",
                         "--top", "10", "--json")
    assert code == 0, err
    rankings = json.loads(out)["rankings"]
    assert [r["library"] for r in rankings] == [str(video), str(other)]
    assert all(len(r["items"]) == 10 and set(r["items"][0]) >= {"id", "score", "reasons"} for r in rankings)
    top_video = [item["id"] for item in rankings[0]["items"]]
    assert "2509.99999" in top_video  # no authors: ranked on its content
    assert top_video != [item["id"] for item in rankings[1]["items"]]
    scores = [item["score"] for item in rankings[0]["items"]]
    assert scores == sorted(scores, reverse=True)
    # A library paper is known: never listed. This one matches 2509.99999 of the window by title;
    # it came first, "similar to your library paper" itself.
    known = tmp_path / "known.bib"
    known.write_text("@article{k, title={Keyframe selection for long video question answering}}\n")
    code, out, err = run(capsys, "--home", str(tmp_path / "home"), "rank", "--library", str(known), "--corpus",
                         str(corpus), "--from", "2025-09-22", "--to", "2025-09-26", "--top", "5", "--json")
    assert code == 0, err
    listed = json.loads(out)["rankings"][0]
    assert listed["matched"] == 1 and "2509.99999" not in [item["id"] for item in listed["items"]]
    assert not any("Keyframe selection for long video question answering" in r for item in listed["items"]
                   for r in item["reasons"])
    assert list((tmp_path / "home").rglob("*.npy")) or list((tmp_path / "home").rglob("*cache*"))
    code, _, err = run(capsys, "--home", str(tmp_path / "home"), "rank", "--library", str(video), "--corpus",
                       str(corpus), "--from", "2025-09-26", "--to", "2025-09-22", "--json")
    assert code != 0 and "--from is after --to" in err
    # A library with nothing usable is named, not ranked at random (every score 0, "empty score").
    untitled, junk = tmp_path / "untitled.bib", tmp_path / "junk.bib"
    untitled.write_text("@article{a, title={}}\n@article{b, author={X}}\n")
    junk.write_bytes(b"garbage {{{ \x01")
    code, out, err = run(capsys, "--home", str(tmp_path / "home"), "rank", "--library", str(untitled), "--library",
                         str(known), "--corpus", str(corpus), "--from", "2025-09-22", "--to", "2025-09-26", "--json")
    assert code == 0, err
    first, second = json.loads(out)["rankings"]
    assert first["items"] == [] and "no usable entry (2 skipped: no title)" in first["error"]
    assert len(second["items"]) == 20 and "error" not in second
    code, _, err = run(capsys, "--home", str(tmp_path / "home"), "rank", "--library", str(untitled), "--library",
                       str(junk), "--corpus", str(corpus), "--from", "2025-09-22", "--to", "2025-09-26")
    assert code != 0 and "untitled.bib: no usable entry" in err and "junk.bib: no library entry" in err


def test_the_tfidf_centroid_favours_the_newest_library_papers_words() -> None:
    """The TF-IDF centroid baseline (named by issue 12): a candidate sharing the words of the
    library's newest paper outranks one sharing an older paper's, and one sharing none is last."""
    from academichub.evaluation.protocols import Corpus
    from academichub.evaluation.rankers import Context, tfidf_centroid

    # 20 topics of their own words, each in 6 of 120 works: inside the baseline's min_df 5 and max_df 0.1.
    texts = [f"term{t}a term{t}b term{t}c study" for t in (i % 20 for i in range(120))]
    days = [date(2025, 1, 1)] * 120
    corpus = Corpus([str(i) for i in range(120)], texts, [""] * 120, [frozenset()] * 120, ["cs.LG"] * 120, days)
    history, candidates = list(range(116)), [116, 117, 118, 119]  # topics 16, 17, 18, 19
    library = [96, 97]  # topics 16 and 17

    def scores_with_newer(row: int) -> np.ndarray:
        corpus.days[96], corpus.days[97] = date(2025, 1, 2), date(2025, 1, 2)
        corpus.days[row] = date(2025, 1, 20)
        return tfidf_centroid(Context(corpus, history, candidates, np.zeros((120, 2), np.float32),
                                      date(2025, 2, 1)), library)

    scores = scores_with_newer(97)
    assert scores[1] > scores[0] > 0 and scores[2] == scores[3] == 0
    scores = scores_with_newer(96)
    assert scores[0] > scores[1] > 0 and scores[2] == scores[3] == 0


def test_the_embedding_cache_is_never_used_half_written(tmp_path: Path) -> None:
    """A `rank` or `eval` killed while writing the corpus's embedding cache left it cut short, and
    every later run stopped with numpy's "file seems not fully written" traceback; runs at once
    could read one another's half-written file the same way."""
    import threading

    from academichub.embedding.wordllama_model import WordLlamaEmbedder
    from academichub.evaluation.run import embed_rows

    corpus, embedder = load_corpus(SAMPLE), WordLlamaEmbedder()
    rows = list(range(200))
    first = embed_rows(corpus, rows, embedder, tmp_path)
    (cache,) = tmp_path.glob("corpus-*.npy")
    whole = cache.read_bytes()
    cache.write_bytes(whole[: len(whole) // 2])
    again = embed_rows(corpus, rows, embedder, tmp_path)
    assert np.allclose(again[rows], first[rows])
    assert np.load(cache).shape == first.shape  # written whole again
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            for step in range(6):
                start = 200 + 30 * (worker * 6 + step)
                embed_rows(corpus, list(range(start, start + 30)), embedder, tmp_path)
        except BaseException as exc:  # noqa: BLE001 - any failure of a concurrent run is the finding
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert [p.name for p in tmp_path.iterdir()] == [cache.name]  # no temporary file left behind


def test_the_summary_pools_runs_and_pairs_each_task() -> None:
    from academichub.evaluation.run import EvalResult, summarise

    def result(ours: list[float], theirs: list[float]) -> EvalResult:
        return EvalResult(None, {}, per_task={("author", "academichub"): ours, ("author", "bm25"): theirs})  # type: ignore[arg-type]

    # Two runs (cut-offs) pooled: ours is better on every task by exactly 0.1.
    summary = summarise([result([0.5, 0.6, 0.7], [0.4, 0.5, 0.6]), result([0.2, 0.9], [0.1, 0.8])])["author"]
    assert summary["tasks"] == 5 and summary["best_baseline"] == "bm25"
    versus = summary["versus"]["bm25"]
    assert versus["difference"] == pytest.approx(0.1) and versus["ci95"] == pytest.approx([0.1, 0.1])
    assert versus["ratio"] == pytest.approx(0.58 / 0.48, abs=1e-3)
    low, high = summary["rankers"]["academichub"]["ci95"]
    assert low < 0.58 < high  # unpaired, the spread across tasks shows


def test_the_coauthor_view_links_the_words_of_one_researchers_papers() -> None:
    import scipy.sparse as sp

    from academichub.evaluation.views import MAX_AUTHORS, project, term_map

    # Terms 0 and 1 are never in one paper, but researcher A writes papers with each; B does the
    # same with terms 2 and 3. A 21-author consortium paper joins terms 1 and 2 for every author.
    rows = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0],
                                   [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1],
                                   [0, 0.7071, 0.7071, 0]], dtype=np.float32))
    consortium = frozenset({"a", "b"} | {f"c{i}" for i in range(MAX_AUTHORS - 1)})
    authors = [frozenset({"a"})] * 4 + [frozenset({"b"})] * 4 + [consortium]
    papers = sp.csr_matrix(np.eye(4, dtype=np.float32))  # one paper per term
    coauthor = project(papers, term_map("coauthor", rows, authors, dimensions=2))
    assert coauthor[0] @ coauthor[1] == pytest.approx(1.0, abs=1e-4)  # A's two vocabularies meet
    assert abs(coauthor[0] @ coauthor[2]) < 1e-4 and abs(coauthor[1] @ coauthor[2]) < 1e-4  # the consortium did not join them
    lsa = project(papers, term_map("lsa", rows[:8], authors[:8], dimensions=3))
    assert abs(lsa[0] @ lsa[1]) < 1e-4  # word co-occurrence alone never links them
    assert np.allclose(np.linalg.norm(coauthor, axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="unknown view 'nope'"):
        term_map("nope", rows, authors)
    with pytest.raises(ValueError, match="no author has two papers"):
        term_map("coauthor", rows[:2], [frozenset({"x"}), frozenset({"y"})])


def test_a_corpus_with_malformed_lines_keeps_the_rest_and_one_with_none_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mixed = tmp_path / "mixed.jsonl.gz"
    with gzip.open(mixed, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"id": "a", "title": "Kept", "first_listed": "2025-09-01", "authors": ["Ada"]}) + "\n")
        out.write("not json\n[1, 2]\n")
        out.write("[" * 100_000 + "]" * 100_000 + "\n")  # nested past Python's recursion limit: a traceback
        out.write(json.dumps({"id": "b", "title": "Bad day", "first_listed": "2025-02-30"}) + "\n")
        out.write(json.dumps({"id": "c", "title": "Also kept", "published": "2025-09-02T10:00:00Z"}) + "\n")
    corpus = load_corpus(mixed)
    assert corpus.ids == ["a", "c"] and corpus.days == [date(2025, 9, 1), date(2025, 9, 2)]
    text = tmp_path / "notes.txt"
    text.write_text("just some notes\n")
    binary = tmp_path / "blob.jsonl"
    binary.write_bytes(bytes(range(256)) * 8)
    for bad, message in [(text, f"corpus: {text} holds no records (1 malformed lines)"),
                         (binary, f"corpus: cannot read {binary}: 'utf-8' codec can't decode")]:
        code, _, err = run(capsys, "--home", str(tmp_path / "home"), "rank", "--library", str(text), "--corpus",
                           str(bad), "--from", "2025-09-01", "--to", "2025-09-30")
        assert code == 1 and err.startswith(f"academichub: {message}") and "Traceback" not in err, err


def test_arxivs_own_metadata_snapshot_and_other_author_shapes_are_read(tmp_path: Path) -> None:
    # arXiv's metadata snapshot (Kaggle) has no first_listed or published: every line was skipped.
    snapshot = load_corpus(Path(__file__).parent / "data/arxiv_bulk/kaggle-snapshot-head40.jsonl")
    assert len(snapshot.ids) == 40 and snapshot.ids[0] == "0704.0001"
    assert snapshot.days[0] == date(2007, 4, 2)  # the first version's date
    assert {"c balazs", "e l berger"} <= snapshot.authors[0] and snapshot.primary[0] == "hep-ph"
    shapes = tmp_path / "shapes.jsonl"
    shapes.write_text("\n".join(json.dumps(r) for r in [
        {"id": 1, "title": "Objects", "authors": [{"name": "Ada Lovelace"}], "categories": ["cs.LG", "stat.ML"],
         "published": "2025-09-01T12:00:00Z"},
        {"id": "x2", "title": "One string", "authors": "Ada Lovelace and Grace Hopper", "categories": "cs.CL cs.AI",
         "update_date": "2025-09-02"},
        {"id": "x3", "title": "No date at all", "authors": []}]) + "\n")
    corpus = load_corpus(shapes)
    assert corpus.ids == ["1", "x2"] and corpus.primary == ["cs.LG", "cs.CL"]
    assert corpus.authors[0] == {"ada lovelace"} and corpus.authors[1] == {"ada lovelace", "grace hopper"}
    assert corpus.days == [date(2025, 9, 1), date(2025, 9, 2)]


def test_rank_finds_the_corpus_first_paper_of_a_library_by_its_arxiv_id(capsys: pytest.CaptureFixture[str],
                                                                        tmp_path: Path) -> None:
    # The lookup was `by_arxiv.get(id) or by_title.get(...)`: row 0 is falsy, so the corpus's first
    # paper, named in the library by its arXiv id under another title, was not matched, and was
    # then recommended to the library that holds it.
    corpus = tmp_path / "corpus.jsonl"
    words = ["graph", "quantum", "galaxy", "protein", "transformer", "lensing", "spectra", "matter"]
    corpus.write_text("".join(json.dumps({
        "id": f"2501.{n:05d}", "title": f"Study {n} of {words[n % 8]} and {words[(n * 3) % 8]}",
        "abstract": " ".join(words[(n + k) % 8] for k in range(30)), "primary_category": "cs.LG",
        "first_listed": f"2025-01-{1 + n % 20:02d}"}) + "\n" for n in range(40)))
    library = tmp_path / "library.bib"
    library.write_text("@article{a, title={A title as the journal printed it}, eprint={2501.00000}, archivePrefix={arXiv}}\n"
                       "@article{b, title={Another printed title}, eprint={2501.00001}, archivePrefix={arXiv}}\n")
    code, out, err = run(capsys, "--home", str(tmp_path / "home"), "rank", "--library", str(library), "--corpus",
                         str(corpus), "--from", "2025-01-01", "--to", "2025-01-31", "--top", "40", "--json")
    assert code == 0, err
    ranking = json.loads(out)["rankings"][0]
    assert ranking["matched"] == 2
    listed = [item["id"] for item in ranking["items"]]
    assert len(listed) == 38 and "2501.00000" not in listed and "2501.00001" not in listed


def test_the_embedding_cache_belongs_to_the_texts_it_embedded(tmp_path: Path) -> None:
    """The cache was named after the corpus's size and first and last ids: a corpus with one
    abstract changed got the old abstract's vector from it."""
    from dataclasses import replace

    from academichub.embedding.wordllama_model import WordLlamaEmbedder
    from academichub.evaluation.run import embed_rows

    corpus, embedder = load_corpus(SAMPLE), WordLlamaEmbedder()
    rows = [0, 1, 2, 3]
    before = embed_rows(corpus, rows, embedder, tmp_path)
    edited = replace(corpus, abstracts=[*corpus.abstracts[:2], "Protein folding with diffusion models.",
                                        *corpus.abstracts[3:]])
    after = embed_rows(edited, rows, embedder, tmp_path)
    assert np.allclose(after[[0, 1, 3]], before[[0, 1, 3]])
    assert not np.allclose(after[2], before[2])
    assert np.allclose(after[2], embedder.embed([f"{corpus.titles[2]}. Protein folding with diffusion models."])[0])
    assert np.allclose(embed_rows(corpus, rows, embedder, tmp_path)[2], before[2])  # each text its own cache


def test_a_vocabulary_with_more_texts_is_the_vocabulary_of_all_of_them() -> None:
    from academichub import tfidf

    corpus = load_corpus(SAMPLE)
    texts = corpus.texts[:3000]
    library = ["Zorbulation of widgets in a lattice of graphs.", "Widgets, zorbulation and spectra of graphs."]
    counts = tfidf.TermCounts(texts)
    joined = counts.vocabulary_with(library)
    terms, idf = tfidf.fit(texts + library)
    assert joined.terms == terms and np.allclose(joined.idf, idf) and "zorbulation" in terms
    assert "zorbulation" not in counts.vocabulary_with([]).terms
    assert counts.vocabulary_with([]).terms == tfidf.fit(texts)[0]  # the counts themselves are untouched


def test_rank_counts_a_librarys_own_entries_toward_the_vocabulary(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    """On a corpus of the window alone (as an outside evaluation gives it), a term a library entry
    shares with one candidate only was dropped (a term must be in two works): that candidate, the
    closest there is, was ranked on its common words alone."""
    from academichub import tfidf

    with gzip.open(SAMPLE, "rt") as sample:  # its 4,223 papers as one window
        rows = [{**json.loads(line), "first_listed": "2025-09-26"} for line in sample]
    assert len(rows) > tfidf.LARGE  # the size from which a term must be in two works
    rows.append({"id": "2509.77777", "title": "Lattice methods for sparse widgets",
                 "abstract": "We study zorbulation with standard lattice methods and data.",
                 "primary_category": "cs.LG", "first_listed": "2025-09-26"})
    corpus = tmp_path / "window.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows))
    library = tmp_path / "mine.bib"
    library.write_text("@article{a, title={Zorbulation in driven systems}, abstract={Zorbulation appears "
                       "under a drive.}}\n@article{b, title={Measuring zorbulation}, abstract={A laboratory "
                       "measurement of zorbulation.}}\n")
    code, out, err = run(capsys, "--home", str(tmp_path / "home"), "rank", "--library", str(library), "--corpus",
                         str(corpus), "--from", "2025-09-01", "--to", "2025-09-30", "--top", "3", "--json")
    assert code == 0, err
    assert json.loads(out)["rankings"][0]["items"][0]["id"] == "2509.77777"

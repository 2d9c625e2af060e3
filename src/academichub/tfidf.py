"""TF-IDF rows of texts in bulk: scikit-learn's analyser and weighting, without its per-token Python loop.

The settings are arxiv-sanity-lite's (lower-cased, accents stripped, English stop words, unigrams
and bigrams, sublinear TF, smoothed IDF, L2-normalised rows), with the vocabulary and IDF taken
from the whole store rather than refitted per window, so a work's row is computed once, when it
arrives, and every window, radar and process shares it. The vocabulary is five times
arxiv-sanity-lite's and keeps terms seen in two works (not five): the rare terms, acronyms and
bigrams that name a small field are what a small library is made of (README, "Ranking").

scikit-learn's TfidfVectorizer tokenises and counts in Python, one token at a time: at 51,698
works its fit took 25 s and its transform 11 s, both holding the GIL. Here the regular expression
runs in polars (Rust, the GIL released), words become integer ids once, and bigrams, counts,
document frequencies and rows are numpy array operations; one tokenisation serves both the fit
and the rows. The result is scikit-learn's, term for term and row for row, for any Unicode
text (tests/test_learning.py compares them, with hypothesis).
"""

from __future__ import annotations

import importlib.util
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

MAX_TERMS = 100_000  # arxiv-sanity-lite keeps 20,000; the harness measured 100,000 better on every protocol
MIN_DF, MAX_DF = 2, 0.1  # a term must be in two works and in at most a tenth of them (large stores)
LARGE = 2000  # below this many works every term counts (a test store, a first small ingest)
FIT_SAMPLE = 60_000  # works a vocabulary is fitted on (more changes the terms little, costs seconds)
# scikit-learn's token_pattern (capitals too: NFKD makes some of lower-cased text, 𝐀 -> A).
TOKEN = r"\b[a-zA-Z_][a-zA-Z0-9_]+\b"
CHUNK = 8192  # texts tokenised at a time: bounds the arrays (a term key and a text index share an int64)
_RADIX = 1 << 24  # word ids of a chunk's bigram keys; a store's words stay far below 16 million
COUNT_BITS = 14  # below a term key (49 bits) when the vocabulary is chosen
COUNT_MASK = (1 << COUNT_BITS) - 1
_CACHE = 4


@cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, read from its module file without importing scikit-learn
    (its package import costs about a second and a half, a fifth of a bulk ingest)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise RuntimeError("tfidf: scikit-learn is not installed")
    path = Path(spec.origin).parent / "feature_extraction" / "_stop_words.py"
    module_spec = importlib.util.spec_from_file_location("_academichub_stop_words", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(module.ENGLISH_STOP_WORDS)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# Tokens are ASCII; other characters only decide where a word ends. Python's \w (which
# scikit-learn's pattern uses) and Rust's (which polars uses) disagree on some of them (marks,
# other numbers), so each becomes a letter both call a word character, or a space.
_WORD_MARK = "\u00df"


def _outside_ascii(run: re.Match[str]) -> str:
    return "".join("" if unicodedata.combining(c) else _WORD_MARK if c.isalnum() else " " for c in run.group())


def preprocess(text: str) -> str:
    """scikit-learn's preprocessing (lower case, accents stripped: NFKD without combining marks),
    with characters outside ASCII reduced to what the token pattern sees of them."""
    text = text.lower()
    if text.isascii():
        return text
    return _NON_ASCII.sub(_outside_ascii, unicodedata.normalize("NFKD", text))


_TOKEN = re.compile(TOKEN)


def words(text: str) -> list[str]:
    """A text's words as the analyser reads them, stop words kept."""
    return _TOKEN.findall(preprocess(text))


def written_together(term: str, text_words: list[str]) -> bool:
    """Whether a term's words stand side by side in the text: a bigram is made of the words left
    once stop words are out, so "fails capture" may stand for "fails to capture" (38% of the
    corpus's bigram occurrences span a stop word)."""
    parts = term.split()
    if len(parts) < 2:
        return True
    return any(text_words[i:i + len(parts)] == parts for i, word in enumerate(text_words) if word == parts[0])


@dataclass(frozen=True)
class Tokens:
    """Texts as word ids with stop words removed: `ids[offsets[i]:offsets[i + 1]]` is text i."""

    words: list[str]  # id -> word
    ids: np.ndarray  # int64
    offsets: np.ndarray  # int64, one more than the texts

    def bigrams(self) -> tuple[np.ndarray, np.ndarray]:
        """(text index of every word, whether a word starts a bigram: the next word is of its text)."""
        lengths = np.diff(self.offsets)
        texts = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        starts = np.ones(len(self.ids), dtype=bool)
        starts[self.offsets[1:][lengths > 0] - 1] = False  # a text's last word
        return texts, starts


def tokenise(texts: Sequence[str]) -> Tokens:
    """The words of each text, as scikit-learn's analyser finds them (before n-grams)."""
    import polars as pl  # imported on first use: a process that never featurises does not pay for it

    frame = pl.LazyFrame({"text": pl.Series(values=[preprocess(t) for t in texts], dtype=pl.String)})
    # The streaming engine splits the texts over the cores (half the time of the eager call on two).
    lists = frame.select(pl.col("text").str.extract_all(TOKEN)).collect(engine="streaming").to_series()
    lengths = lists.list.len().to_numpy().astype(np.int64)
    flat = lists.explode(empty_as_null=False)
    # Words as dense ids: the ranks of their hashes (64 bits: no two words of a store collide).
    ids = flat.hash(seed=0).rank("dense").to_numpy().astype(np.int64) - 1
    first = np.empty(int(ids.max()) + 1 if len(ids) else 0, dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)  # the last write wins: each word's first position
    words = flat.gather(first).to_list()
    stop = stop_words()
    kept = np.fromiter((w not in stop for w in words), dtype=bool, count=len(words))[ids]
    kept_before = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(kept, out=kept_before[1:])
    bounds = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=bounds[1:])
    return Tokens(words, ids[kept].astype(np.int64), kept_before[bounds])


def _pair_counts(texts: np.ndarray, keys: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (text, key) pairs (keys below `span`) with how often each occurs, by text then key."""
    combined = texts * span + keys
    combined.sort()
    starts = np.flatnonzero(np.r_[True, combined[1:] != combined[:-1]]) if len(combined) else combined
    counts = np.diff(np.r_[starts, len(combined)])
    distinct = combined[starts]
    return distinct // span, distinct % span, counts


class TermCounts:
    """Every (text, term) pair of texts added chunk by chunk, with its count, over one word list
    (a term key is a word id, or for a bigram _RADIX + first * _RADIX + second): an ingest adds each
    stored batch as it goes, and fits the vocabulary and every row once at the end."""

    def __init__(self, texts: Sequence[str] = ()) -> None:
        self.words: dict[str, int] = {}
        self.chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []  # (texts, keys, counts, size)
        self._packed: list[np.ndarray] = []
        self.documents = 0
        self.add(texts)

    def add(self, texts: Sequence[str]) -> None:
        """Count the terms of more texts (their rows come after those of earlier ones)."""
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start:start + CHUNK]
            tokens = tokenise(chunk)
            words = self.words
            ids = np.fromiter((words.setdefault(w, len(words)) for w in tokens.words), dtype=np.int64,
                              count=len(tokens.words))[tokens.ids]
            of, starts = tokens.bigrams()
            pairs = np.flatnonzero(starts)
            keys = np.concatenate([ids, _RADIX + ids[pairs] * _RADIX + ids[pairs + 1]])
            found_texts, found_keys, counts = _pair_counts(np.concatenate([of, of[pairs]]), keys,
                                                           _RADIX * _RADIX + _RADIX)
            self.chunks.append((found_texts, found_keys, counts, len(chunk)))
            # Each pair's key << COUNT_BITS | its count, sorted: what the vocabulary is chosen from,
            # prepared while the texts arrive. Texts are bounded (a title and a 20,000-character
            # abstract), so a count fits the bits, and sorting these replaces an argsort.
            packed = (found_keys << COUNT_BITS) | np.minimum(counts, COUNT_MASK)
            packed.sort()
            self._packed.append(packed)
            self.documents += len(chunk)

    def vocabulary_with(self, texts: Sequence[str]) -> Vectorizer:
        """The vocabulary and IDF of the texts added plus these, which are not kept: the counted
        texts are not tokenised again (`rank` adds each library's own entries to its corpus)."""
        extra = TermCounts()
        extra.words = dict(self.words)  # the same word ids, so the two sets of counts merge
        extra.add(texts)
        packed = np.concatenate([*self._packed, *extra._packed]) if self._packed or extra._packed \
            else np.zeros(0, dtype=np.int64)
        packed.sort(kind="stable")
        terms, idf, _ = _choose(list(extra.words), packed, self.documents + extra.documents)
        return Vectorizer(terms, idf) if terms else Vectorizer(["academichub"], np.ones(1, dtype=np.float32))

    def fit(self) -> tuple[list[str], np.ndarray, sp.csr_matrix]:
        """A vocabulary fitted on the texts added, and their rows under it."""
        words = list(self.words)
        packed = np.concatenate(self._packed) if self._packed else np.zeros(0, dtype=np.int64)
        packed.sort(kind="stable")  # a merge of the sorted runs of the chunks
        terms, idf, keys = _choose(words, packed, self.documents)
        if not terms:  # no usable word at all (stop words only, or no texts)
            return ["academichub"], np.ones(1, dtype=np.float32), sp.csr_matrix((self.documents, 1),
                                                                                 dtype=np.float32)
        # A word's column by direct lookup, a bigram's by binary search among the chosen bigrams.
        single = keys < _RADIX
        word_column = np.full(len(words), -1, dtype=np.int64)
        word_column[keys[single]] = np.flatnonzero(single)
        order = np.argsort(keys[~single])
        bigram_keys, bigram_columns = keys[~single][order], np.flatnonzero(~single)[order]
        parts = []
        for texts, chunk_keys, counts, size in self.chunks:
            columns = np.full(len(chunk_keys), -1, dtype=np.int64)
            unigram = chunk_keys < _RADIX
            columns[unigram] = word_column[chunk_keys[unigram]]
            if len(bigram_keys):
                wanted = chunk_keys[~unigram]
                at = np.searchsorted(bigram_keys, wanted).clip(0, len(bigram_keys) - 1)
                columns[~unigram] = np.where(bigram_keys[at] == wanted, bigram_columns[at], -1)
            parts.append(_rows(texts, columns, counts, idf, size, len(terms)))
        return terms, idf, sp.vstack(parts, format="csr")


def _text(words: list[str], key: int) -> str:
    if key < _RADIX:
        return words[key]
    first, second = divmod(key - _RADIX, _RADIX)
    return f"{words[first]} {words[second]}"


def _choose(words: list[str], packed: np.ndarray, documents: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """scikit-learn's choice: terms within the document-frequency bounds, the MAX_TERMS most frequent
    (ties by term), in alphabetical column order; with their IDF and their keys (`packed`: sorted)."""
    keys = packed >> COUNT_BITS
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else keys
    distinct, df = keys[starts], np.diff(np.r_[starts, len(keys)])
    tf = np.add.reduceat(packed & COUNT_MASK, starts) if len(starts) else df
    low, high = (MIN_DF, MAX_DF * documents) if documents >= LARGE else (1, documents)
    usable = np.flatnonzero((df >= low) & (df <= high))
    if len(usable) > MAX_TERMS:
        cut = np.partition(tf[usable], len(usable) - MAX_TERMS)[len(usable) - MAX_TERMS]
        above = usable[tf[usable] > cut]
        tied = sorted(usable[tf[usable] == cut], key=lambda i: _text(words, int(distinct[i])))
        usable = np.concatenate([above, np.asarray(tied[:MAX_TERMS - len(above)], dtype=np.int64)])
    terms = [_text(words, int(k)) for k in distinct[usable]]
    column = sorted(range(len(terms)), key=terms.__getitem__)
    chosen = usable[np.asarray(column, dtype=np.int64)]
    idf = np.log((1 + documents) / (1 + df[chosen].astype(np.float64))) + 1  # scikit-learn's smooth_idf
    return [terms[i] for i in column], idf.astype(np.float32), distinct[chosen]


def _rows(texts: np.ndarray, columns: np.ndarray, counts: np.ndarray, idf: np.ndarray, n_texts: int,
          n_terms: int) -> sp.csr_matrix:
    """L2-normalised sublinear TF-IDF rows from (text, column, count) triples (column -1: no term)."""
    known = columns >= 0
    texts, columns, counts = texts[known], columns[known], counts[known]
    values = ((1 + np.log(counts)) * idf[columns]).astype(np.float32)
    norms = np.sqrt(np.bincount(texts, weights=values.astype(np.float64) ** 2, minlength=n_texts))
    values /= np.where(norms > 0, norms, 1)[texts].astype(np.float32)
    indptr = np.zeros(n_texts + 1, dtype=np.int64)
    np.cumsum(np.bincount(texts, minlength=n_texts), out=indptr[1:])
    rows = sp.csr_matrix((values, columns.astype(np.int32), indptr), shape=(n_texts, n_terms))
    rows.sort_indices()  # triples come by text (then by term key, not column): each row sorted on its own
    return rows


def fit(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Terms (column order) and IDF of a vocabulary fitted on these texts."""
    return fit_transform(texts)[:2]


def fit_transform(texts: Sequence[str]) -> tuple[list[str], np.ndarray, sp.csr_matrix]:
    """A vocabulary fitted on these texts, and their rows under it, from one tokenisation."""
    return TermCounts(texts).fit()


class Vectorizer:
    """A stored vocabulary (terms in column order and their IDF) that turns texts into rows."""

    def __init__(self, terms: Sequence[str], idf: np.ndarray) -> None:
        self.terms = list(terms)
        self.idf = np.asarray(idf, dtype=np.float32)
        if len(self.idf) != len(self.terms):
            raise ValueError("tfidf: a vocabulary needs one IDF per term")
        words: dict[str, int] = {}
        singles: list[tuple[int, int]] = []
        pairs: list[tuple[int, int]] = []  # (first * radix + second, column), radix known at the end
        split = [term.partition(" ") for term in self.terms]
        for first, _, second in split:
            words.setdefault(first, len(words))
            if second:
                words.setdefault(second, len(words))
        radix = max(1, len(words))
        for column, (first, _, second) in enumerate(split):
            if second:
                pairs.append((words[first] * radix + words[second], column))
            else:
                singles.append((words[first], column))
        self._words, self._radix = words, radix
        self._unigram = np.full(len(words), -1, dtype=np.int64)
        for word, column in singles:
            self._unigram[word] = column
        pairs.sort()
        self._bigram_keys = np.array([k for k, _ in pairs], dtype=np.int64)
        self._bigram_columns = np.array([c for _, c in pairs], dtype=np.int64)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows of these texts under this vocabulary."""
        parts = [self._transform(texts[start:start + CHUNK]) for start in range(0, len(texts), CHUNK)]
        return sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, len(self.terms)), dtype=np.float32)

    def _transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        tokens = tokenise(texts)
        known = np.fromiter((self._words.get(w, -1) for w in tokens.words), dtype=np.int64, count=len(tokens.words))
        ids = known[tokens.ids]  # -1: a word of no term (it still separates its neighbours' bigrams)
        of, starts = tokens.bigrams()
        unigrams = np.where(ids >= 0, self._unigram[ids.clip(0)], -1) if len(ids) else ids
        pairs = np.flatnonzero(starts)
        bigrams = np.full(len(pairs), -1, dtype=np.int64)
        if len(pairs) and len(self._bigram_keys):
            first, second = ids[pairs], ids[pairs + 1]
            wanted = first * self._radix + second
            at = np.searchsorted(self._bigram_keys, wanted).clip(0, len(self._bigram_keys) - 1)
            hit = (first >= 0) & (second >= 0) & (self._bigram_keys[at] == wanted)
            bigrams = np.where(hit, self._bigram_columns[at], -1)
        columns = np.concatenate([unigrams, bigrams])
        text_of = np.concatenate([of, of[pairs]])
        found = columns >= 0
        found_texts, found_columns, counts = _pair_counts(text_of[found], columns[found], max(1, len(self.terms)))
        return _rows(found_texts, found_columns, counts, self.idf, len(texts), len(self.terms))


_lock = threading.Lock()
_vectorizers: OrderedDict[str, Vectorizer] = OrderedDict()


def vectorizer_for(digest: str, terms: Sequence[str], idf: np.ndarray) -> Vectorizer:
    """A vectorizer for a stored vocabulary (built once per process for each content digest: a
    version number alone would mix up two stores a process opens)."""
    with _lock:
        if digest in _vectorizers:
            _vectorizers.move_to_end(digest)
            return _vectorizers[digest]
    vectorizer = Vectorizer(terms, idf)
    with _lock:
        _vectorizers[digest] = vectorizer
        while len(_vectorizers) > _CACHE:
            _vectorizers.popitem(last=False)
    return vectorizer


def fitted(texts: Sequence[str]) -> Vectorizer:
    """A vectorizer with the vocabulary and IDF of these texts, made as the store's is (uncached)."""
    terms, idf = fit(texts)
    return Vectorizer(terms, idf)


def transform(vectorizer: Vectorizer, texts: Sequence[str]) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows of these texts."""
    return vectorizer.transform(texts)

"""Themes: the selected papers clustered on their embeddings, named by their key phrases (class TF-IDF)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import numpy as np

from academichub.embedding.base import normalise
from academichub.keys import MATH_SEGMENT

# Words every abstract uses: they name no theme.
GENERIC = frozenset(["paper", "papers", "propose", "proposed", "proposes", "approach", "approaches", "method", "methods", "results", "result", "show", "shows", "shown", "novel", "new", "present", "presents", "work", "study", "studies", "using", "use", "used", "based", "framework", "model", "models", "demonstrate", "task", "tasks", "performance", "existing", "extensive", "experiments", "experimental", "state", "art", "sota", "achieve", "achieves", "achieving", "significantly", "significant", "different", "various", "improve", "improves", "improved", "improvement", "provide", "provides", "introduce", "introduces", "introduced", "problem", "problems", "address", "challenge", "challenges", "effective", "efficient", "paradigm", "key", "large", "recent", "recently", "however", "including", "furthermore", "moreover", "analysis", "approach", "data", "set", "sets", "benchmark", "benchmarks", "evaluate", "evaluation", "well", "also", "first", "two", "one", "three", "can", "may", "across", "via", "within", "without", "towards", "toward",
                      # how results are reported ("findings indicate" was a theme's name on the sample)
                      "finding", "findings", "indicate", "indicates", "suggest", "suggests", "reveal", "reveals",
                      # … and concluded, and how much ("conclude" and "high" were a theme's key phrases)
                      "conclude", "concludes", "concluded", "conclusion", "conclusions", "high", "higher", "low", "lower"])


_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")


def prose(text: str) -> str:
    """A title or abstract without its TeX: formulas and commands are no theme's words (a theme of
    galaxies had "mathrm" among its key phrases, from the solar masses of its formulas)."""
    return _TEX_COMMAND.sub(" ", MATH_SEGMENT.sub(" ", text))


@cache
def stop_words() -> tuple[str, ...]:
    """scikit-learn's English stop words and the generic words above (scikit-learn loads on first use)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return tuple(sorted(ENGLISH_STOP_WORDS | GENERIC))


def choose_k(count: int, smallest: int = 3, largest: int = 8) -> range:
    """Candidate theme counts for `count` papers: a handful, never themes of one paper on average."""
    top = max(1, min(largest, count // 4))
    return range(min(smallest, top), top + 1)


def cluster(vectors: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Theme labels: k-means for each k of `choose_k`, the k with the best cosine silhouette."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    count = len(vectors)
    options = choose_k(count)
    if count < 4 or options.stop - options.start < 1 or max(options) < 2:
        return np.zeros(count, dtype=int)
    best, best_labels = -2.0, np.zeros(count, dtype=int)
    for k in options:
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(vectors, labels, metric="cosine")
        if score > best:
            best, best_labels = score, labels
    return best_labels


def text_vectors(texts: list[str]) -> np.ndarray:
    """Unit TF-IDF rows, the clustering input when no embedding model is available."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(stop_words=list(stop_words()), sublinear_tf=True, min_df=1).fit_transform(texts)
    return matrix.toarray().astype(np.float32)


CANDIDATE_PHRASES = 60  # a theme's best phrases looked at for its key phrases
WHOLE_PHRASE = 0.8  # a longer phrase replaces a part of it written this often as the part alone


def key_phrases(texts: list[str], labels: np.ndarray, *, per_theme: int = 4) -> dict[int, list[str]]:
    """Each cluster's most distinctive phrases: term frequency in the cluster × rarity across clusters."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(ngram_range=(1, 3), stop_words=list(stop_words()), token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9-]{2,}\b",
                                 lowercase=True)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return {int(k): [] for k in set(labels)}
    names = vectorizer.get_feature_names_out()
    clusters = sorted({int(k) for k in labels})
    per_cluster = np.vstack([np.asarray(counts[labels == k].sum(axis=0)).ravel() for k in clusters]).astype(float)
    present = np.vstack([np.asarray((counts[labels == k] > 0).sum(axis=0)).ravel() for k in clusters]).astype(float)
    average = per_cluster.sum() / len(clusters)
    idf = np.log1p(average / np.maximum(per_cluster.sum(axis=0), 1))
    lengths = np.array([n.count(" ") + 1 for n in names])
    phrases: dict[int, list[str]] = {}
    for row, k in enumerate(clusters):
        size = int((labels == k).sum())
        # A phrase must recur (two papers of the theme) unless the theme is a single paper.
        recurring = present[row] >= min(2, size)
        tf = per_cluster[row] / max(per_cluster[row].sum(), 1)
        score = tf * idf * (1 + 0.5 * (lengths > 1)) * recurring
        picked: list[tuple[str, float]] = []
        for index in np.argsort(-score)[:CANDIDATE_PHRASES]:
            if score[index] <= 0:
                break
            name, count = str(names[index]), float(per_cluster[row, index])
            # The whole phrase where its papers nearly always write it so: "little red dots", not
            # "little red" and "red dots" (each a part of it, each as frequent).
            inside = [i for i, (p, n) in enumerate(picked) if _within(p, name) and count >= WHOLE_PHRASE * n]
            if inside:
                picked = [(name, count) if i == inside[0] else item
                          for i, item in enumerate(picked) if i not in inside[1:]]
                continue
            if any(_within(name, p) or _within(p, name) or _singular(name) == _singular(p) for p, _ in picked):
                continue  # "galaxies" after "galaxy" says nothing new
            picked.append((name, count))
        phrases[k] = [p for p, _ in picked[:per_theme]]
    return phrases


def _within(part: str, phrase: str) -> bool:
    """Whether a phrase holds another as whole words ("ice" is not in "device")."""
    return f" {part} " in f" {phrase} "


def _singular(phrase: str) -> str:
    """A phrase with its last word in the singular, roughly (galaxies → galaxy, rewards → reward)."""
    head, _, last = phrase.rpartition(" ")
    if last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3:
        last = last[:-1]
    return f"{head} {last}" if head else last


OUTLIER = -1  # the label of papers far from every theme ("other papers")
OUTLIER_QUANTILE = 0.1  # a paper less similar to its theme's centre than this share of all members is looked at
OUTLIER_MARGIN = 0.05  # … and set apart when it is that far below the theme's own lowest decile
_WORD = r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]|[A-Za-z]"
_JOINERS = frozenset({"of", "in", "for", "on", "with", "and", "from", "to", "via", "under", "by"})
# A name neither starts nor ends with a word every paper uses ("video dataset", "novel method").
# "versus" leaves a name hanging when a hyphenated pair ("AI- versus human-generated") splits it.
NOT_AT_ENDS = GENERIC | {"dataset", "datasets", "technique", "techniques", "versus", "vs"}


def set_apart(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Labels with the papers far from their theme's centre moved to OUTLIER, so one odd paper
    does not dilute a theme: below the tenth percentile of every member's similarity to its
    centre by more than OUTLIER_MARGIN, and closer to no other theme's centre."""
    labels = labels.copy()
    units = normalise(vectors)
    clusters = sorted({int(k) for k in labels})
    centres = normalise(np.vstack([units[labels == k].mean(axis=0) for k in clusters]))
    similarity = units @ centres.T  # each paper to each centre
    own = similarity[np.arange(len(labels)), [clusters.index(int(k)) for k in labels]]
    floor = np.quantile(own, OUTLIER_QUANTILE) - OUTLIER_MARGIN
    labels[(own < floor) & (similarity.max(axis=1) < floor + OUTLIER_MARGIN)] = OUTLIER
    sizes = {k: int((labels == k).sum()) for k in clusters}
    labels[np.isin(labels, [k for k, n in sizes.items() if n < 2])] = OUTLIER  # a theme of one paper is none
    return labels


def cohesion(vectors: np.ndarray, labels: np.ndarray, *, seed: int = 0, rounds: int = 20) -> dict[str, float]:
    """Mean cosine between members of one theme, against the same for random themes of the same
    sizes (what clustering adds: a theme that holds together scores well above the random split)."""
    kept = labels != OUTLIER
    units = normalise(vectors[kept])

    def within(assigned: np.ndarray) -> float:
        values = []
        for k in set(assigned.tolist()):
            members = units[assigned == k]
            if len(members) > 1:
                pairs = members @ members.T
                values.append((pairs.sum() - len(members)) / (len(members) * (len(members) - 1)))
        return float(np.mean(values)) if values else 0.0

    rng = np.random.default_rng(seed)
    themes = within(labels[kept]) if kept.any() else 0.0
    random = float(np.mean([within(rng.permutation(labels[kept])) for _ in range(rounds)])) if kept.any() else 0.0
    return {"within_themes": round(themes, 4), "random_split": round(random, 4)}


def _tokens(text: str) -> list[list[str]]:
    """A text's sentences as word lists, in their original spelling."""
    import re

    return [re.findall(_WORD, part) for part in re.split(r"[.;:!?()\[\]{},\"“”]", text)]


def candidate_phrases(text: str) -> dict[str, str]:
    """The noun-phrase-like runs of two to five words of a text ("temporal reasoning in video LLMs"):
    no stop or generic word at either end, only joining words inside; lower case → spelling seen."""
    stops = set(stop_words())
    found: dict[str, str] = {}
    for words in _tokens(text):
        lowered = [w.lower() for w in words]
        for start in range(len(words)):
            if lowered[start] in stops or len(lowered[start]) < 3:
                continue
            for end in range(start + 2, min(start + 5, len(words)) + 1):
                inside = lowered[start + 1:end - 1]
                last = lowered[end - 1]
                if any(w in stops and w not in _JOINERS for w in inside):
                    break
                if last in stops or len(last) < 3:
                    continue
                if sum(w in _JOINERS for w in inside) > 1:
                    break
                found.setdefault(" ".join(lowered[start:end]), " ".join(words[start:end]))
    return found


def theme_names(titles: list[str], abstracts: list[str], labels: np.ndarray, *,
                embed=None) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """A readable name for each theme: the candidate phrase of its papers (in two at least, titles
    counting double) with the best class TF-IDF, times its closeness to the theme's centre in
    embedding space when an embedder is given; "" when no phrase recurs."""
    import math

    in_titles = [candidate_phrases(title) for title in titles]
    in_abstracts = [candidate_phrases(abstract) for abstract in abstracts]
    per_paper = [{**a, **t} for t, a in zip(in_titles, in_abstracts, strict=True)]  # a title's spelling first
    # A phrase is spelled as running text spells it ("globular clusters", "video LLMs"), not as
    # a title capitalises it; a title's spelling only when no abstract has the phrase.
    spelling: dict[str, Counter[str]] = {}
    for phrases in in_abstracts:
        for key, shown in phrases.items():
            spelling.setdefault(key, Counter())[shown] += 2
    for phrases in per_paper:
        for key, shown in phrases.items():
            spelling.setdefault(key, Counter())[shown] += 1
    everywhere = Counter(key for phrases in per_paper for key in phrases)
    texts = [f"{t}. {a}" for t, a in zip(titles, abstracts, strict=True)]
    names: dict[int, str] = {}
    for label in sorted({int(k) for k in labels if k != OUTLIER}):
        members = [i for i, k in enumerate(labels) if k == label]
        inside = Counter(key for i in members for key in per_paper[i])
        title_hits = Counter(key for i in members for key in in_titles[i])
        # "graph neural" is a fragment when the papers nearly always go on to "graph neural networks":
        # each phrase's most frequent longer phrase that begins with it, indexed once per theme (a
        # scan of every phrase per phrase took 20 s for a theme of 100 papers).
        longest_after: dict[str, int] = {}
        for longer, count in inside.items():
            words = longer.split()
            for end in range(2, len(words)):
                prefix = " ".join(words[:end])
                longest_after[prefix] = max(longest_after.get(prefix, 0), count)

        def usable(key: str, least: int) -> bool:
            words = key.split()
            return inside[key] >= least and words[0] not in NOT_AT_ENDS and words[-1] not in NOT_AT_ENDS \
                and longest_after.get(key, 0) < 0.8 * inside[key]

        # A phrase two papers share; failing that (a small theme), one of a title.
        keys = [k for k in inside if usable(k, min(2, len(members)))] or [k for k in title_hits if usable(k, 1)]
        scored = {key: (inside[key] + title_hits[key]) / len(members) * math.log(1 + len(texts) / everywhere[key])
                  * (1 + 0.15 * key.count(" ")) for key in keys}
        best = sorted(scored, key=lambda k: (-scored[k], k))[:12]
        if best and embed is not None:  # of the distinctive phrases, the one nearest the theme's centre
            centre = embed([texts[i] for i in members]).mean(axis=0)
            closeness = dict(zip(best, (embed(best) @ (centre / max(float(np.linalg.norm(centre)), 1e-12))).tolist(),
                                 strict=True))
            best = sorted(best, key=lambda k: -(scored[k] * max(0.05, closeness[k])))
        shown = _common_case(spelling[best[0]]) if best else ""
        names[label] = shown[:1].upper() + shown[1:]
    return names


def _common_case(spellings: Counter[str]) -> str:
    """The most frequent spelling of a phrase, each capitalised word in lower case where another
    spelling writes it so: "Neural Networks" (as an acronym's expansion capitalises it, "Graph
    Neural Networks (GNNs)") is "neural networks", while "Gaussian" and "LLMs" keep their capitals."""
    shown = spellings.most_common(1)[0][0].split()
    lowered = {index for other in spellings for index, word in enumerate(other.split()) if word.islower()}
    return " ".join(word.lower() if index in lowered and word.istitle() else word for index, word in enumerate(shown))

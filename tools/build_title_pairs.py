"""Build the labelled title pairs that justify the title-matching threshold (run by hand).

Positives (one work, two titles): arXiv papers whose title in a later listing (the RSS caches:
replacements announce revised versions) is compared with their first-listed title in the
corpus. Negatives (two works): pairs of different papers whose first authors share a family
name, the hard case for author+title matching, taking for each family the most similar titles.

    python tools/build_title_pairs.py ../shared/data tests/data/dedupe/title_pairs.jsonl
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from academichub.keys import family_key, name_key, parse_arxiv_id, title_key  # noqa: E402

NEGATIVES_PER_FAMILY = 2
MAX_NEGATIVES = 1500


def main(shared: str, out: str) -> None:
    data = Path(shared)
    corpus = {}
    with gzip.open(data / "arxiv/papers.jsonl.gz", "rt") as handle:
        for line in handle:
            record = json.loads(line)
            corpus[record["id"]] = record
    pairs = []
    for cache in sorted((data / "wire/arxiv_rss_parsed").glob("*.json.gz")):
        for feed in json.load(gzip.open(cache)).values():
            for entry in feed["entries"]:
                arxiv_id, _ = parse_arxiv_id(entry["id"])
                if arxiv_id in corpus and corpus[arxiv_id]["authors"]:
                    first = corpus[arxiv_id]["authors"][0]
                    pairs.append({"label": 1, "a": corpus[arxiv_id]["title"], "b": entry["title"],
                                  "author_a": first, "author_b": entry["author"].split(",")[0].strip(),
                                  "ref": arxiv_id})
    by_family = defaultdict(list)
    for record in corpus.values():
        if record["authors"]:
            by_family[family_key(name_key(record["authors"][0]))].append(record)
    negatives = []
    for _family, records in sorted(by_family.items()):
        scored = []
        for i, a in enumerate(records[:60]):
            for b in records[i + 1:60]:
                if a["id"] != b["id"] and title_key(a["title"]) != title_key(b["title"]):
                    scored.append((fuzz.ratio(title_key(a["title"]), title_key(b["title"])), a, b))
        for _score, a, b in sorted(scored, key=lambda s: -s[0])[:NEGATIVES_PER_FAMILY]:
            negatives.append({"label": 0, "a": a["title"], "b": b["title"], "author_a": a["authors"][0],
                              "author_b": b["authors"][0], "ref": f"{a['id']}|{b['id']}"})
    negatives.sort(key=lambda n: -fuzz.ratio(title_key(n["a"]), title_key(n["b"])))
    rows = pairs + negatives[:MAX_NEGATIVES]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(pairs)} positives, {len(negatives[:MAX_NEGATIVES])} negatives -> {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

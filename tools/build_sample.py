"""Build the bundled sample from the shared corpus (run by hand; its output is committed).

Keeps every record first listed between FIRST and LAST (seven weeks of daily listings across
many fields) plus every paper by the sample's example author, in the corpus' own JSONL schema.

    python tools/build_sample.py ../shared/data/arxiv/papers.jsonl.gz
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

FIRST, LAST = "2025-08-11", "2025-09-26"
EXAMPLE_AUTHOR = "Jianxiang He"
OUT = Path(__file__).resolve().parents[1] / "src/academichub/data/sample/arxiv-sample.jsonl.gz"


def main(corpus: str) -> None:
    kept = 0
    # mtime=0 keeps the gzip bytes reproducible
    with gzip.open(corpus, "rt", encoding="utf-8") as src, \
            gzip.GzipFile(OUT, "wb", compresslevel=9, mtime=0) as dst:
        for line in src:
            record = json.loads(line)
            listed = record.get("first_listed") or ""
            if FIRST <= listed <= LAST or EXAMPLE_AUTHOR in (record.get("authors") or []):
                dst.write((json.dumps(record, ensure_ascii=False) + "\n").encode())
                kept += 1
    print(f"{kept} records -> {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main(sys.argv[1])

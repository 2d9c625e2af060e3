"""Bulk JSON Lines files (Kaggle snapshot, corpus) and format detection of local files."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from academichub.errors import InputError
from academichub.model import Paper, Rejected
from academichub.sources import arxiv_bulk
from academichub.sources.formats import detect_format, read_items
from academichub.worker.jobs import SAMPLE
from tests.conftest import DATA

KAGGLE = DATA / "arxiv_bulk" / "kaggle-snapshot-head40.jsonl"


def test_kaggle_snapshot_record_fields() -> None:
    with KAGGLE.open("rb") as stream:
        papers = list(arxiv_bulk.iter_kaggle(stream))
    assert len(papers) == 40 and all(isinstance(p, Paper) for p in papers)
    first = papers[0]
    assert first.arxiv_id == "0704.0001" and first.arxiv_version == 2
    assert [a.name for a in first.authors] == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert first.doi == "10.1103/physrevd.76.013009" and first.categories == ["hep-ph"]
    assert first.submitted == date(2007, 4, 2) and first.journal_ref == "Phys.Rev.D76:013009,2007"


def test_bundled_sample_in_corpus_format() -> None:
    with gzip.open(SAMPLE, "rb") as stream:
        papers = list(arxiv_bulk.iter_corpus(stream))
    assert len(papers) == 4223 and all(isinstance(p, Paper) for p in papers)
    his = [p for p in papers if any(a.name == "Jianxiang He" for a in p.authors)]
    assert sorted(p.arxiv_id for p in his) == ["2503.13139", "2508.06869", "2509.21113"]
    days = {p.announced for p in papers}
    assert min(days) == date(2025, 3, 18) and max(days) == date(2025, 9, 26) and len(days) > 30
    assert len({p.primary_category.split(".")[0] for p in papers}) >= 10  # many fields


def test_bad_lines_are_rejected_with_their_line_number(tmp_path: Path) -> None:
    good = KAGGLE.read_text().splitlines()[:2]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([good[0], "{not json", '{"title": "no id"}', '{"id": "garbage"}', good[1]]) + "\n")
    fmt, items = read_items(path)
    items = list(items)
    assert fmt == "arxiv-kaggle"
    assert [type(i).__name__ for i in items] == ["Paper", "Rejected", "Rejected", "Rejected", "Paper"]
    assert items[1] == Rejected("invalid JSON", ref="line 2")
    assert items[3].ref == "line 4" and "not an arXiv identifier" in items[3].reason


def test_jsonl_is_streamed_not_read_whole() -> None:
    line = KAGGLE.read_text().splitlines()[0].encode() + b"\n"

    class Endless(io.RawIOBase):
        """A stream that never ends: reading it whole would hang."""

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            buffer[: len(line)] = line
            return len(line)

    first = list(itertools.islice(arxiv_bulk.iter_kaggle(io.BufferedReader(Endless(), 65536)), 5))
    assert len(first) == 5 and all(p.arxiv_id == "0704.0001" for p in first)


@pytest.mark.parametrize("path, expected", [
    (DATA / "arxiv_listing/rss_2025-04-04.xml", "arxiv-listing"),
    (DATA / "arxiv_listing/atom_2025-04-04.xml", "arxiv-listing"),
    (DATA / "arxiv_listing/rss_cache_2025-04-04.json.gz", "arxiv-listing-json"),
    (DATA / "arxiv_api/q_testing_s0_m10_bc5a6c384fe9.atom.xml", "arxiv-api"),
    (DATA / "arxiv_api/legacy_2016_search_au_del_maestro.atom.xml", "arxiv-api"),
    (DATA / "arxiv_oai/arXivRaw_GetRecord.xml", "arxiv-oai"),
    (KAGGLE, "arxiv-kaggle"),
    (SAMPLE, "arxiv-jsonl"),
])
def test_formats_are_detected_from_content(path: Path, expected: str) -> None:
    assert detect_format(path) == expected


def test_gzip_and_names_do_not_matter(tmp_path: Path) -> None:
    renamed = tmp_path / "download.bin"
    with gzip.open(renamed, "wb") as out:
        out.write((DATA / "arxiv_api/q_testing_s0_m10_bc5a6c384fe9.atom.xml").read_bytes())
    fmt, items = read_items(renamed)
    assert fmt == "arxiv-api" and len(list(items)) == 10


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_called_empty(tmp_path: Path, content: bytes) -> None:
    # It was "cannot tell the format; name it with --format", which no format would have helped.
    empty = tmp_path / "today.jsonl"
    empty.write_bytes(content)
    with pytest.raises(InputError, match="today.jsonl is empty"):
        detect_format(empty)


def test_undetectable_and_unknown_formats_name_the_choices(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    with pytest.raises(InputError, match="cannot tell the format of .*notes.txt.*--format"):
        detect_format(junk)
    with pytest.raises(InputError, match="unknown format 'csv'"):
        read_items(junk, "csv")
    with pytest.raises(InputError, match="cannot read"):
        read_items(tmp_path / "missing.xml", "arxiv-api")


def test_named_format_overrides_detection(tmp_path: Path) -> None:
    copy = tmp_path / "listing.dat"
    shutil.copy(DATA / "arxiv_listing/rss_2025-04-04.xml", copy)
    fmt, items = read_items(copy, "arxiv-listing")
    assert fmt == "arxiv-listing" and len(list(items)) == 88
    assert json.loads(json.dumps(fmt)) == "arxiv-listing"

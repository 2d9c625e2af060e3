"""Fuzzing with mutated recorded real responses: every parser and library reader either yields
records or raises its documented error (SourceError for sources, InputError for library files),
within a memory bound. Bounded for CI; `FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py` runs longer.
"""

from __future__ import annotations

import gzip
import json
import os
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academichub.errors import InputError, SourceError
from academichub.library.importer import read_entries
from academichub.library.readers import READERS
from tests.conftest import DATA
from tests.test_parser_properties import PARSERS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "80"))
MEMORY_MB = 200  # far above any of these inputs' honest needs: a blow-up, not a size
SOURCES = {name: (parse, (DATA / fixture).read_bytes()) for name, (parse, fixture) in PARSERS.items() if fixture}
LIBRARIES = {
    "bibtex": gzip.decompress((DATA / "library/researcher_library_1436-2.bib.gz").read_bytes())[:60_000],
    "ris": (DATA / "library/zotero_export.ris").read_bytes()[:60_000],
    "zotero-rdf": gzip.decompress((DATA / "library/ArmEnBib_Exported_Items.rdf.gz").read_bytes()),
    "csl-json": json.dumps(json.loads(gzip.decompress((DATA / "library/ArmEnBib_Exported_Items.csl.json.gz")
                                                     .read_bytes()))[:40]).encode(),
    "orcid": (DATA / "library/orcid_works.json").read_bytes()[:60_000],
}


@st.composite
def mutated(draw, original: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """A recorded response with a few edits: bytes flipped, spans deleted, duplicated or spliced in."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        kind = draw(st.sampled_from(["flip", "delete", "duplicate", "insert"]))
        span = draw(st.integers(1, 400))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at:at + span]
        elif kind == "duplicate":
            data[at:at] = data[at:at + span] * draw(st.integers(1, 20))
        else:
            data[at:at] = draw(st.sampled_from([b"<", b"&", b"\x00", b"{", b"]", b'"', b"\xff\xfe", b"<!ENTITY a 'b'>",
                                                b"<x>" * 50, b"[" * 200, b"@article{", b"TY  - ", "é".encode()]))
    return bytes(data)


def _within_memory(run) -> None:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        run()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY_MB * 1e6, f"{peak / 1e6:.0f} MB"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), name=st.sampled_from(sorted(SOURCES)))
def test_mutated_source_responses_parse_or_raise_a_source_error(data, name: str) -> None:  # type: ignore[no-untyped-def]
    parse, original = SOURCES[name]
    response = data.draw(mutated(original))

    def run() -> None:
        try:
            result = parse(response)
        except SourceError:
            return
        items = result if isinstance(result, list) else getattr(result, "items", result)
        list(items)
    _within_memory(run)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), name=st.sampled_from(sorted(LIBRARIES)))
def test_mutated_library_files_read_or_raise_an_input_error(data, name: str) -> None:  # type: ignore[no-untyped-def]
    text = data.draw(mutated(LIBRARIES[name])).decode("utf-8", errors="replace")

    def run() -> None:
        try:
            read_entries(name, text, "fuzzed")
        except InputError:
            pass
    _within_memory(run)


@pytest.mark.parametrize("name", sorted(LIBRARIES))
def test_the_recorded_library_files_read_cleanly(name: str) -> None:
    entries = list(READERS[name](LIBRARIES[name].decode("utf-8", errors="replace")))
    assert entries  # the fuzz starts from files that do parse

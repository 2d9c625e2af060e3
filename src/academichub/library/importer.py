"""Importing a library: read, match each item to a stored work, embed the rest, report why.

Items are matched by DOI, arXiv id or PMID (any identifier a stored work carries), then by
exact folded title with the same first author or year; an unmatched item is embedded from its
own title and abstract, so it still teaches the ranker what the reader reads.
"""

from __future__ import annotations

import re
import time
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import httpx

from academichub.capped import gunzip, read_all
from academichub.embedding.base import Embedder, work_text
from academichub.errors import InputError, NotFoundError, SourceError
from academichub.keys import clean_line, family_key, name_key, strip_control, title_key
from academichub.library.items import LibraryItem, Skipped
from academichub.library.readers import READERS, detect
from academichub.limits import fitting
from academichub.settings import Settings
from academichub.sources.formats import open_binary
from academichub.sources.http import HttpClient
from academichub.storage.library import LibraryEntry
from academichub.storage.schema import library_items
from academichub.storage.store import Store
from academichub.storage.work_writes import FAMILY_KEY_LENGTH

MAX_FILE_BYTES = 200_000_000
# Entries one file may hold: the largest personal libraries hold tens of thousands. 200,000 synthetic
# entries (a 38 MB BibTeX upload) took 111 s and left the web process at 687 MB.
MAX_ENTRIES = 100_000


@dataclass
class ImportReport:
    """What an import did: matched (by which identifier), unmatched, skipped (why)."""

    source: str
    format: str
    total: int = 0
    imported: int = 0
    matched: Counter = field(default_factory=Counter)
    unmatched: int = 0
    skipped: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    unmatched_examples: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as `library import --json` prints it."""
        return {"source": self.source, "format": self.format, "total": self.total, "imported": self.imported,
                "matched": dict(self.matched), "matched_total": sum(self.matched.values()),
                "unmatched": self.unmatched, "skipped": dict(self.skipped), "seconds": round(self.seconds, 3),
                "unmatched_examples": self.unmatched_examples}


def _first_family(entry: LibraryItem) -> str:
    """The first author's family name key, as stored works keep it ("" without authors)."""
    return family_key(name_key(entry.authors[0]))[:FAMILY_KEY_LENGTH] if entry.authors else ""


def _same_work(entry: LibraryItem, other: LibraryItem) -> bool:
    """Whether two entries of one title are one work: no identifier, year or first author tells
    them apart (a series' volumes, "Works" of two authors, two papers named "Nanowire Photonics")."""
    return all(a is None or b is None or a == b for a, b in (
        (entry.doi, other.doi), (entry.arxiv_id, other.arxiv_id), (entry.pmid, other.pmid), (entry.year, other.year),
        (_first_family(entry) or None, _first_family(other) or None)))


def _dedupe(items: list[LibraryItem], report: ImportReport) -> list[LibraryItem]:
    seen: set[tuple[str, str]] = set()
    titled: dict[str, list[LibraryItem]] = {}
    kept = []
    for entry in items:
        keys = {("doi", entry.doi), ("arxiv", entry.arxiv_id)} - {("doi", None), ("arxiv", None)}
        title = title_key(entry.title)
        if keys & seen or any(_same_work(entry, other) for other in titled.get(title, ())):
            report.skipped["duplicate"] += 1
            continue
        seen |= keys
        titled.setdefault(title, []).append(entry)
        kept.append(entry)
    return kept


def _match_ids(store: Store, items: list[LibraryItem]) -> dict[int, tuple[int, str]]:
    """Item index -> (work id, how) for items an identifier places."""
    from academichub.model import Paper

    probes = [Paper(title=i.title, source="library", doi=i.doi, arxiv_id=i.arxiv_id, pmid=i.pmid) for i in items]
    with store.engine.connect() as conn:
        found = store.works.find_existing(conn, probes)
    matches: dict[int, tuple[int, str]] = {}
    for index, entry in enumerate(items):
        for kind, value, label in (("arxiv_id", entry.arxiv_id, "arxiv"), ("doi", entry.doi, "doi"),
                                   ("pmid", entry.pmid, "pmid")):
            if value and (kind, value) in found:
                matches[index] = (found[(kind, value)], label)
                break
    return matches


def _match_titles(store: Store, items: list[LibraryItem], todo: list[int]) -> dict[int, tuple[int, str]]:
    """Item index -> (work id, "title") for exact folded titles with an agreeing first author."""
    keys = {title_key(items[i].title) for i in todo}
    with store.engine.connect() as conn:
        candidates = store.works.find_by_titles(conn, keys)
    by_key: dict[str, list] = {}
    for candidate in candidates:
        by_key.setdefault(candidate.title_key, []).append(candidate)
    matches = {}
    for index in todo:
        entry = items[index]
        family = _first_family(entry)
        for candidate in by_key.get(title_key(entry.title), []):
            if len(entry.title.split()) >= 4 and (not family or not candidate.first_author_key
                                                  or family == candidate.first_author_key):
                matches[index] = (candidate.id, "title")
                break
    return matches


_ITEM_KEY, _DOI, _ARXIV, _VENUE = (library_items.c[name].type.length
                                   for name in ("item_key", "doi", "arxiv_id", "venue"))


def _unique_keys(keys: Iterable[str]) -> list[str]:
    """Each item's key as stored, told apart where the file repeats one: two papers may share a
    citation key in a merged BibTeX file, or an ID in RIS and CSL-JSON, and cleaning and cutting
    to the column may make two keys one (the store keys items by it: the import answered 500)."""
    taken: set[str] = set()
    unique = []
    for key in keys:
        clean = strip_control(key)
        stored, number = clean[:_ITEM_KEY], 1
        while stored in taken:
            number += 1
            stored = clean[:_ITEM_KEY - len(f"#{number}")] + f"#{number}"
        taken.add(stored)
        unique.append(stored)
    return unique


def import_items(store: Store, embedder: Embedder | None, user_id: int, entries: list[LibraryItem | Skipped], *,
                 source: str, fmt: str) -> ImportReport:
    """Match, embed and store parsed entries as the user's library items from `source`."""
    if len(entries) > MAX_ENTRIES:  # refused whole, so an earlier import of this source stays as it was
        raise InputError(f"library: {source} holds {len(entries):,} entries; a library file may hold at most "
                         f"{MAX_ENTRIES:,} (split it, or export the collections you read)", problem="too-many")
    started = time.perf_counter()
    report = ImportReport(source=source, format=fmt, total=len(entries))
    for entry in entries:
        if isinstance(entry, Skipped):
            report.skipped[entry.reason] += 1
    items = _dedupe([e for e in entries if isinstance(e, LibraryItem)], report)
    if not items:  # refuse rather than replace an earlier import of this source with nothing
        why = "; ".join(f"{n} {reason}" for reason, n in report.skipped.items()) or "no entries found"
        raise InputError(f"library: {source} has no usable {fmt} entries ({why})", problem="no-entries")
    matches = _match_ids(store, items)
    matches |= _match_titles(store, items, [i for i in range(len(items)) if i not in matches])
    unmatched = [i for i in range(len(items)) if i not in matches]
    own = {}
    if unmatched and embedder is not None:
        texts = [work_text(items[i].title, items[i].abstract) for i in unmatched]
        own = dict(zip(unmatched, embedder.embed(texts), strict=True))
    rows = []
    keys = _unique_keys(entry.key for entry in items)
    for index, entry in enumerate(items):
        work_id, how = matches.get(index, (None, "none"))
        vector = own.get(index)
        # Bounded to the columns: PostgreSQL refused the whole file over one 400-character DOI
        # (an identifier that long names nothing, so it is dropped; a long venue is cut).
        # The key is not cleaned by the readers, and PostgreSQL refuses a NUL in text.
        rows.append({"item_key": keys[index], "title": entry.title,
                     "authors": entry.authors[:50], "year": entry.year, "doi": fitting(entry.doi, _DOI),
                     "arxiv_id": fitting(entry.arxiv_id, _ARXIV), "abstract": entry.abstract,
                     "venue": entry.venue and entry.venue[:_VENUE],
                     "added": entry.added, "work_id": work_id, "match": how,
                     "model": embedder.tag if vector is not None and embedder is not None else None,
                     "vector": vector.tobytes() if vector is not None else None})
        if work_id:
            report.matched[how] += 1
    store.library.replace_source(user_id, source, rows)
    report.imported = len(rows)
    report.unmatched = len(unmatched)
    report.unmatched_examples = [items[i].title for i in unmatched[:5]]
    report.seconds = time.perf_counter() - started
    return report


def library_text(data: bytes) -> str:
    """A library file's text in the encoding it was written in: UTF-16 by its byte-order mark,
    UTF-8 (with or without one), else Windows-1252 (Latin-1 and older EndNote or JabRef exports).
    Read as UTF-8 with replacements, a Latin-1 "Résumé" was "R\ufffdsum\ufffd" and matched no
    stored title; a UTF-16 file held no entries at all."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    text = data.decode("utf-8-sig", errors="replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    if replaced and replaced > sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd"):
        return data.decode("cp1252", errors="replace")  # mostly not UTF-8: a legacy single-byte file
    return text  # UTF-8 with a broken byte or two: kept, the bytes replaced


def decode_library(data: bytes, name: str, fmt: str | None = None) -> tuple[str, str]:
    """(format, text) of a library file's bytes; gzip is unpacked, the format detected if not named."""
    if fmt is not None and fmt not in READERS:
        raise InputError(f"library: unknown format {fmt!r}; choose one of {', '.join(READERS)}")
    if data[:2] == b"\x1f\x8b":
        try:  # capped while it expands: checking the size afterwards let a 2 MB bomb reach 4.7 GB
            data = gunzip(data, limit=MAX_FILE_BYTES, what=f"library: {name}")
        except zlib.error as exc:
            raise InputError(f"library: {name} is a broken gzip file ({exc})", problem="unreadable") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"library: {name} is larger than {MAX_FILE_BYTES // 1_000_000} MB", problem="too-large")
    text = library_text(data)
    if not text.strip():
        raise InputError(f"library: {name} is empty", problem="empty-file")
    return fmt or detect(text, name.removesuffix(".gz")), text


def read_entries(fmt: str, text: str, name: str) -> list:  # type: ignore[type-arg]
    """Every entry of a library file's text; a file that is not what its format says is the
    reader's input error (400), not a source failure."""
    try:
        return list(READERS[fmt](text))
    except SourceError as exc:
        raise InputError(f"library: {name} is not a readable {fmt} file: {str(exc).removeprefix('library: ')}",
                         problem="unreadable") from None


def read_library_file(path: Path, fmt: str | None = None) -> tuple[str, str]:
    """(format, text) of a library file; gzip is read transparently."""
    try:
        with open_binary(path, MAX_FILE_BYTES, what=f"library: {path.name}") as stream:
            data = read_all(stream)
    except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt gzip
        raise InputError(f"library: cannot read {path.name}: {exc}") from None
    return decode_library(data, path.name, fmt)


MAX_SOURCE_NAME = 200  # the stored source's column holds 300


def upload_name(name: str) -> str:
    """An uploaded file's name as a library source: its last path part (some browsers send the
    whole path), cleaned of control characters and bounded, keeping its extension. A file's name in
    another encoding than UTF-8 (Python holds its bytes as lone surrogates, which no database
    stores) keeps a U+FFFD where they were."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    name = clean_line(name.replace("\\", "/").rsplit("/", 1)[-1]) or "upload"
    if len(name) > MAX_SOURCE_NAME:  # PostgreSQL refused a longer name with a 500
        suffix = PurePosixPath(name).suffix
        kept = suffix if len(suffix) <= 11 else ""
        name = name[:MAX_SOURCE_NAME - len(kept)] + kept
    return name


def import_bytes(store: Store, embedder: Embedder | None, user_id: int, data: bytes, name: str,
                 fmt: str | None = None) -> ImportReport:
    """Import an uploaded library file (its name becomes the source a re-import replaces)."""
    name = upload_name(name)
    fmt, text = decode_library(data, name, fmt)
    return import_items(store, embedder, user_id, read_entries(fmt, text, name), source=name.removesuffix(".gz"), fmt=fmt)


def import_file(store: Store, embedder: Embedder | None, user_id: int, path: Path,
                fmt: str | None = None) -> ImportReport:
    """Import a library file (BibTeX, RIS, Zotero RDF, CSL-JSON, Better BibTeX JSON)."""
    fmt, text = read_library_file(path, fmt)
    name = upload_name(path.name)
    return import_items(store, embedder, user_id, read_entries(fmt, text, name), source=name.removesuffix(".gz"), fmt=fmt)


_ORCID = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])")
_ORCID_URL = re.compile(r"(?:https?://)?(?:www\.|sandbox\.)?orcid\.org/", re.IGNORECASE)


def orcid_of(text: str) -> str | None:
    """The ORCID iD written in `text` (as printed, its URL with or without https://, or its 16
    characters without hyphens) in its canonical form, or None when there is none or its ISO 7064
    11,2 check digit is wrong."""
    value = _ORCID_URL.sub("", text.strip(), count=1).strip().rstrip("/").upper()
    match = _ORCID.fullmatch(value)
    if not match:
        return None
    digits = "".join(match.groups())
    total = 0
    for digit in digits[:-1]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    return "-".join(match.groups()) if digits[-1] == ("X" if check == 10 else str(check)) else None


def valid_orcid(orcid: str) -> bool:
    """Whether the text is an ORCID iD (see `orcid_of`)."""
    return orcid_of(orcid) is not None


def import_orcid(store: Store, embedder: Embedder, user_id: int, orcid: str, settings: Settings, *,
                 transport: httpx.BaseTransport | None = None) -> ImportReport:
    """Import the public works list of an ORCID iD."""
    canonical = orcid_of(orcid)
    if canonical is None:
        raise InputError(f"library: {orcid.strip()[:100]!r} is not a valid ORCID iD (0000-0002-1825-0097 is one)",
                         problem="orcid")
    orcid = canonical
    orcid_settings = settings.sources.orcid
    url = f"{orcid_settings.base_url.rstrip('/')}/{orcid}/works"
    with HttpClient(settings.sources.http, transport=transport) as client:
        client.configure_host(url, orcid_settings.min_interval, orcid_settings.max_concurrency)
        text = client.get(url, component="orcid", headers={"Accept": "application/json"}).content.decode(
            "utf-8", errors="replace")
    return import_items(store, embedder, user_id, read_entries("orcid", text, f"ORCID {orcid}"), source=f"orcid:{orcid}",
                        fmt="orcid")


def imported_sources(store: Store, user_id: int) -> list[dict[str, Any]]:
    """The reader's imported library files and profiles, with their item and match counts."""
    return store.library.sources(user_id)


def source_entries(store: Store, user_id: int, source: str, *, limit: int, offset: int = 0,
                   required: bool = False) -> list[LibraryEntry]:
    """A page of one imported source's items, each with the stored paper it matched; if `required`,
    NotFoundError when nothing was imported from `source` (a page past the end is empty)."""
    entries = store.library.entries(user_id, source, limit=limit, offset=offset)
    if required and not entries and source not in {row["source"] for row in store.library.sources(user_id)}:
        raise NotFoundError(f"library: no imported source {source!r}")
    return entries


def remove_source(store: Store, user_id: int, source: str) -> int:
    """Forget one imported source of the reader's library; how many items went with it."""
    if not source.isprintable():  # no stored source holds a control character (upload_name), and
        return 0  # PostgreSQL answered a NUL in the form's field with a 500
    return store.library.delete_source(user_id, source)

"""Jobs are plain functions over a store and settings; the CLI, the web app and the scheduler call them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx

from academichub.errors import InputError
from academichub.ingest.pipeline import ingest
from academichub.ingest.report import RunReport
from academichub.model import Paper, Rejected
from academichub.radar.subscriptions import normalise_category
from academichub.settings import Settings
from academichub.sources import arxiv_api, arxiv_listing, arxiv_oai
from academichub.sources.formats import read_items
from academichub.sources.http import HttpClient
from academichub.storage.store import Store

ARXIV_METHODS = ("listing", "api", "oai")
# OAI-PMH sets of the physics archives are spelled "physics:<archive>".
_PHYSICS_ARCHIVES = {"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th",
                     "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph"}
Progress = Callable[[int], None]
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "arxiv-sample.jsonl.gz"


def ingest_file(store: Store, path: Path, *, fmt: str | None = None,
                progress: Progress | None = None) -> tuple[str, RunReport]:
    """Ingest a local file in any supported format (detected when not named)."""
    fmt, items = read_items(path, fmt)
    return fmt, ingest(store, items, source="arxiv", progress=progress)


def load_sample(store: Store, progress: Progress | None = None) -> RunReport:
    """Load the bundled real sample into the store."""
    return ingest_file(store, SAMPLE, fmt="arxiv-jsonl", progress=progress)[1]


def oai_set(category: str) -> str:
    """The OAI-PMH set that holds a category ("hep-th" -> "physics:hep-th", "cs.CL" -> "cs")."""
    archive = category.split(".")[0]
    return f"physics:{archive}" if archive in _PHYSICS_ARCHIVES else archive


def _api_query(categories: list[str], date_from: date | None, date_to: date | None) -> str:
    query = " OR ".join(f"cat:{c}" for c in categories)
    if len(categories) > 1:
        query = f"({query})"
    if date_from or date_to:
        start = (date_from or date(1991, 1, 1)).strftime("%Y%m%d") + "0000"
        end = (date_to or date.today()).strftime("%Y%m%d") + "2359"
        query += f" AND submittedDate:[{start} TO {end}]"
    return query


def _in_categories(items: Iterator[Paper | Rejected], categories: list[str]) -> Iterator[Paper | Rejected]:
    wanted = {c.casefold() for c in categories}
    for item in items:
        if isinstance(item, Rejected) or any(
            c.casefold() in wanted or c.split(".")[0].casefold() in wanted for c in item.categories
        ):
            yield item


def arxiv_items(
    client: HttpClient, settings: Settings, *, method: str, categories: list[str],
    date_from: date | None = None, date_to: date | None = None, author: str | None = None,
    ids: list[str] | None = None, max_results: int = 1000,
) -> Iterator[Paper | Rejected]:
    """Records from one of arXiv's doors, page by page (lazily, so a failure keeps earlier pages)."""
    arxiv = settings.sources.arxiv
    if author or ids:
        query = arxiv_api.author_query(author) if author else ""
        for page in arxiv_api.fetch(client, arxiv, search_query=query, id_list=ids, max_results=max_results):
            yield from page.items
    elif method == "listing":
        yield from arxiv_listing.fetch(client, arxiv, categories).items
    elif method == "api":
        query = _api_query(categories, date_from, date_to)
        for page in arxiv_api.fetch(client, arxiv, search_query=query, max_results=max_results):
            yield from page.items
    else:
        for spec in sorted({oai_set(c) for c in categories}):
            for page in arxiv_oai.fetch(client, arxiv, from_=date_from, until=date_to, set_spec=spec):
                yield from _in_categories(iter(page.items), categories)


def fetch_arxiv(
    store: Store, settings: Settings, *, method: str = "listing", categories: list[str] | None = None,
    date_from: date | None = None, date_to: date | None = None, author: str | None = None,
    ids: list[str] | None = None, max_results: int = 1000,
    transport: httpx.BaseTransport | None = None, progress: Progress | None = None,
) -> RunReport:
    """Fetch from arXiv and ingest; failures are classified in the report, never raised."""
    if method not in ARXIV_METHODS:
        raise InputError(f"ingest: unknown arXiv method {method!r}; use {', '.join(ARXIV_METHODS)}")
    if date_from and date_to and date_from > date_to:
        raise InputError("ingest: --from is after --to")
    cats = [normalise_category(c) for c in (categories or settings.sources.arxiv.categories)]
    with HttpClient(settings.sources.http, transport=transport) as client:
        items = arxiv_items(client, settings, method=method, categories=cats, date_from=date_from,
                            date_to=date_to, author=author, ids=ids, max_results=max_results)
        return ingest(store, items, source="arxiv", progress=progress)

"""Addresses of a stored paper: the app's own, for pages, feeds and deliveries, and the places
outside it where the paper can be read."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlsplit

from academichub.keys import doi_url, openalex_url, pubmed_url
from academichub.model import Paper

__all__ = ["doi_url", "outside_links", "paper_path"]
SERVERS = (("arxiv.org", "arXiv"), ("biorxiv.org", "bioRxiv"), ("medrxiv.org", "medRxiv"))


def paper_path(public_id: str) -> str:
    """The path of a paper's page, its id percent-encoded: a DOI may hold "<", ">", "#", "?", "%"
    or brackets (10.1002/(SICI)…<391::AID-PSSB391>3.0.CO;2-K), which a URL, Slack's <url|title>
    and Markdown's [title](url) would otherwise read as their own syntax."""
    return "/paper/" + quote(public_id, safe=":/")


def _server(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    return next((name for domain, name in SERVERS if host == domain or host.endswith("." + domain)), None)


def outside_links(paper: Paper, _: Callable[[str], str]) -> list[tuple[str, str]]:
    """(label, address) of every place outside the app where the paper can be read, each address
    once: its preprint server's page, the PDF, the DOI, PubMed, the publisher's page, OpenAlex.
    (The paper page showed only "arXiv page", PDF and DOI: a bioRxiv preprint's page was called
    the arXiv page, and a PubMed paper without a DOI had no link at all.)"""
    links = paper.links
    found: list[tuple[str, str]] = []
    if page := links.get("abs"):
        server = _server(page)
        found.append((_("{server} page").format(server=server) if server else _("Preprint page"), page))
    if pdf := links.get("pdf"):
        found.append(("PDF", pdf))
    if paper.doi:
        found.append(("DOI", doi_url(paper.doi)))
    if pubmed := links.get("pubmed") or (pubmed_url(paper.pmid) if paper.pmid else None):
        found.append(("PubMed", pubmed))
    # A journal feed's article link is the paper's url when it has no DOI; OpenAlex calls it the landing page.
    if publisher := links.get("publisher") or links.get("landing") or paper.url:
        found.append((_("Publisher's page"), publisher))
    if openalex := links.get("openalex") or (openalex_url(paper.openalex_id) if paper.openalex_id else None):
        found.append(("OpenAlex", openalex))
    once: dict[str, str] = {}
    for label, url in found:
        once.setdefault(url, label)
    return [(label, url) for url, label in once.items()]

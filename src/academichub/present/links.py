"""The app's own address of a stored paper, for pages, feeds and deliveries."""

from __future__ import annotations

from urllib.parse import quote

from academichub.keys import doi_url

__all__ = ["doi_url", "paper_path"]


def paper_path(public_id: str) -> str:
    """The path of a paper's page, its id percent-encoded: a DOI may hold "<", ">", "#", "?", "%"
    or brackets (10.1002/(SICI)…<391::AID-PSSB391>3.0.CO;2-K), which a URL, Slack's <url|title>
    and Markdown's [title](url) would otherwise read as their own syntax."""
    return "/paper/" + quote(public_id, safe=":/")

"""Rebuild arXiv listing XML test fixtures from a recorded feedparser cache (run by hand).

No raw 2024+ arXiv RSS/Atom XML survives in public repositories, only feedparser's parse of
it. This writes that recorded data (ids, titles, authors, descriptions, dates, all real) back
into the element layout rss.arxiv.org serves, in RSS 2.0 and Atom form; categories come from
the corpus record of the same paper where one exists (28 of the 465 items), otherwise items
carry none, as the cache recorded none.

    python tools/build_listing_fixtures.py ../shared/data/wire/arxiv_rss_parsed/rss_cache_2025-04-04.json.gz \
        ../shared/data/arxiv/papers.jsonl.gz tests/data/arxiv_listing
"""

from __future__ import annotations

import gzip
import json
import sys
from email.utils import parsedate_to_datetime
from pathlib import Path

from lxml import etree

ARXIV = "http://arxiv.org/schemas/atom"
DC = "http://purl.org/dc/elements/1.1/"
ATOM = "http://www.w3.org/2005/Atom"
PER_TYPE = 15


def pick(entries: list[dict], known: set[str]) -> list[dict]:
    chosen, per_type = [], {}
    for entry in entries:
        kind = entry["summary"].split("Announce Type:")[1].split()[0]
        base = entry["id"].rsplit(":", 1)[1].split("v")[0]
        if base in known or per_type.get(kind, 0) < PER_TYPE:
            per_type[kind] = per_type.get(kind, 0) + 1
            chosen.append(entry)
    return chosen


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        node.text = text
    return node


def rss(url: str, feed: dict, entries: list[dict], cats: dict[str, list[str]]) -> bytes:
    root = etree.Element("rss", nsmap={"arxiv": ARXIV, "dc": DC, "atom": ATOM}, version="2.0")
    channel = sub(root, "channel")
    sub(channel, "title", feed["title"])
    sub(channel, "link", feed["link"])
    sub(channel, "description", feed["title"].replace("updates on arXiv.org", "updates on the arXiv.org e-print archive."))
    sub(channel, f"{{{ATOM}}}link", href=feed["link"], rel="self", type="application/rss+xml")
    sub(channel, "language", "en-us")
    sub(channel, "lastBuildDate", feed["updated"])
    sub(channel, "managingEditor", "rss-help@arxiv.org")
    sub(channel, "pubDate", feed["published"])
    for entry in entries:
        item = sub(channel, "item")
        sub(item, "title", entry["title"])
        sub(item, "link", entry["link"])
        sub(item, "description", entry["summary"])
        sub(item, "guid", entry["id"], isPermaLink="false")
        for cat in cats.get(entry["link"].rsplit("/", 1)[1], []):
            sub(item, "category", cat)
        sub(item, "pubDate", entry["published"])
        sub(item, f"{{{ARXIV}}}announce_type", entry["summary"].split("Announce Type:")[1].split()[0])
        sub(item, f"{{{DC}}}creator", entry["author"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def atom(url: str, feed: dict, entries: list[dict], cats: dict[str, list[str]]) -> bytes:
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "arxiv": ARXIV, "dc": DC})
    atom_url = feed["link"].replace("/rss/", "/atom/")
    sub(root, f"{{{ATOM}}}id", atom_url)
    sub(root, f"{{{ATOM}}}title", feed["title"])
    sub(root, f"{{{ATOM}}}updated", parsedate_to_datetime(feed["updated"]).isoformat())
    sub(root, f"{{{ATOM}}}link", href=atom_url, rel="self", type="application/atom+xml")
    for entry in entries:
        node = sub(root, f"{{{ATOM}}}entry")
        sub(node, f"{{{ATOM}}}id", entry["id"])
        sub(node, f"{{{ATOM}}}title", entry["title"])
        sub(node, f"{{{ATOM}}}updated", parsedate_to_datetime(feed["updated"]).isoformat())
        sub(node, f"{{{ATOM}}}link", href=entry["link"], rel="alternate", type="text/html")
        sub(node, f"{{{ATOM}}}summary", entry["summary"])
        for cat in cats.get(entry["link"].rsplit("/", 1)[1], []):
            sub(node, f"{{{ATOM}}}category", term=cat, scheme="http://arxiv.org/schemas/atom")
        sub(node, f"{{{ATOM}}}published", parsedate_to_datetime(entry["published"]).isoformat())
        sub(node, f"{{{ARXIV}}}announce_type", entry["summary"].split("Announce Type:")[1].split()[0])
        sub(node, f"{{{DC}}}creator", entry["author"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def main(cache: str, corpus: str, out: str) -> None:
    listings = json.load(gzip.open(cache))
    url, parsed = next(iter(listings.items()))
    wanted = {e["id"].rsplit(":", 1)[1].split("v")[0] for e in parsed["entries"]}
    cats = {}
    for line in gzip.open(corpus, "rt"):
        record = json.loads(line)
        if record["id"] in wanted:
            primary = record["primary_category"]
            cats[record["id"]] = [primary] + [c for c in record["categories"] if c != primary and "." in c]
    entries = pick(parsed["entries"], set(cats))
    day = parsedate_to_datetime(parsed["feed"]["published"]).date().isoformat()
    target = Path(out)
    (target / f"rss_{day}.xml").write_bytes(rss(url, parsed["feed"], entries, cats))
    (target / f"atom_{day}.xml").write_bytes(atom(url, parsed["feed"], entries, cats))
    print(f"{len(entries)} items ({sum(1 for e in entries if e['link'].rsplit('/', 1)[1] in cats)} with categories) -> {target}")


if __name__ == "__main__":
    main(*sys.argv[1:4])

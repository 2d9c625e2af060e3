"""arXiv's OAI-PMH interface: ListRecords/GetRecord in `arXiv` and `arXivRaw` metadata formats.

Harvesting pages through resumptionToken; `from`/`until` select by datestamp. OAI error
responses are protocol answers, not failures: `noRecordsMatch` is an empty result and the
others raise ProtocolError with the OAI code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from academichub.errors import ParseError, ProtocolError
from academichub.keys import authors_from_text, clean_line, make_author, parse_date
from academichub.model import Author, Paper, Rejected
from academichub.sources.arxiv_common import ArxivSettings, arxiv_paper
from academichub.sources.http import HttpClient
from academichub.sources.paging import SeenCursors
from academichub.sources.safexml import local_name, parse_xml, text_of

COMPONENT = "arxiv-oai"
OAI = "http://www.openarchives.org/OAI/2.0/"
METADATA_PREFIXES = ("arXiv", "arXivRaw")


@dataclass
class OaiPage:
    """One OAI-PMH response page."""

    items: list[Paper | Rejected] = field(default_factory=list)
    resumption_token: str | None = None
    complete_list_size: int | None = None
    deleted: int = 0


def _t(node: etree._Element, ns: str, name: str) -> str:
    return clean_line(text_of(node.find(f"{{{ns}}}{name}")))


def _arxiv_authors(meta: etree._Element, ns: str) -> list[Author]:
    authors: list[Author] = []
    for node in meta.iterfind(f"{{{ns}}}authors/{{{ns}}}author"):
        parts = [_t(node, ns, "forenames"), _t(node, ns, "keyname"), _t(node, ns, "suffix")]
        affiliations = tuple(clean_line(text_of(a)) for a in node.iterfind(f"{{{ns}}}affiliation"))
        author = make_author(" ".join(p for p in parts if p), affiliations=affiliations)
        if author:
            authors.append(author)
    return authors


def _common(meta: etree._Element, ns: str) -> dict[str, object]:
    return {
        "arxiv_id": _t(meta, ns, "id"),
        "title": text_of(meta.find(f"{{{ns}}}title")),
        "abstract": text_of(meta.find(f"{{{ns}}}abstract")),
        "categories": _t(meta, ns, "categories").split(),
        "doi": _t(meta, ns, "doi") or None,
        "journal_ref": _t(meta, ns, "journal-ref") or None,
        "comment": _t(meta, ns, "comments") or None,
        "license": _t(meta, ns, "license") or None,
    }


def _from_arxiv(meta: etree._Element, ns: str) -> Paper:
    return arxiv_paper(
        version=None,
        authors=_arxiv_authors(meta, ns),
        submitted=parse_date(_t(meta, ns, "created")),
        updated=parse_date(_t(meta, ns, "updated")),
        **_common(meta, ns),  # type: ignore[arg-type]
    )


def _from_arxiv_raw(meta: etree._Element, ns: str) -> Paper:
    versions: list[tuple[int, date | None]] = []
    for node in meta.iterfind(f"{{{ns}}}version"):
        label = node.get("version", "").lstrip("v")
        if label.isdigit():
            versions.append((int(label), parse_date(_t(node, ns, "date"))))
    versions.sort()
    return arxiv_paper(
        version=versions[-1][0] if versions else None,
        authors=authors_from_text(text_of(meta.find(f"{{{ns}}}authors"))),
        submitted=versions[0][1] if versions else None,
        updated=versions[-1][1] if len(versions) > 1 else None,
        **_common(meta, ns),  # type: ignore[arg-type]
    )


def _record(record: etree._Element, page: OaiPage) -> Paper | Rejected | None:
    header = record.find(f"{{{OAI}}}header")
    ident = text_of(header.find(f"{{{OAI}}}identifier")) if header is not None else ""
    if header is not None and header.get("status") == "deleted":
        page.deleted += 1
        return None
    meta = record.find(f"{{{OAI}}}metadata")
    if meta is None or len(meta) == 0:
        return Rejected("record without metadata", ref=ident)
    body = meta[0]
    # Match the format by local name: some archived responses omit the format's namespace,
    # so the body's own namespace is used to find its children.
    name, ns = etree.QName(body).localname, etree.QName(body).namespace or ""
    if name == "arXiv":
        paper = _from_arxiv(body, ns)
    elif name == "arXivRaw":
        paper = _from_arxiv_raw(body, ns)
    else:
        return Rejected(f"unsupported metadata format {name}", ref=ident)
    if not paper.arxiv_id:
        return Rejected("record without an arXiv id", ref=ident)
    return paper


def parse(data: bytes) -> OaiPage:
    """Parse one OAI-PMH response; noRecordsMatch yields an empty page."""
    root = parse_xml(data, component=COMPONENT)
    if local_name(root) != "OAI-PMH":
        raise ParseError(f"expected an <OAI-PMH> document, found <{local_name(root)}>", component=COMPONENT)
    page = OaiPage()
    for error in root.iterfind(f"{{{OAI}}}error"):
        code = error.get("code", "")
        if code == "noRecordsMatch":
            return page
        raise ProtocolError(f"OAI error {code}: {clean_line(text_of(error))}", component=COMPONENT, code=code)
    for record in root.iter(f"{{{OAI}}}record"):
        item = _record(record, page)
        if item is not None:
            page.items.append(item)
    token = root.find(f".//{{{OAI}}}resumptionToken")
    if token is not None:
        page.resumption_token = text_of(token).strip() or None
        size = token.get("completeListSize", "")
        page.complete_list_size = int(size) if size.isdigit() else None
    return page


def fetch(
    client: HttpClient,
    settings: ArxivSettings,
    *,
    metadata_prefix: str = "arXiv",
    from_: date | None = None,
    until: date | None = None,
    set_spec: str | None = None,
    resumption_token: str | None = None,
) -> Iterator[OaiPage]:
    """Harvest ListRecords page by page; resume from `resumption_token` when given."""
    if metadata_prefix not in METADATA_PREFIXES:
        raise ValueError(f"arxiv-oai: metadata prefix must be one of {METADATA_PREFIXES}")
    client.configure_host(settings.oai_url, settings.min_interval, settings.max_concurrency)
    params: dict[str, str | int] = {"verb": "ListRecords"}
    if resumption_token:
        params["resumptionToken"] = resumption_token
    else:
        params["metadataPrefix"] = metadata_prefix
        if from_:
            params["from"] = from_.isoformat()
        if until:
            params["until"] = until.isoformat()
        if set_spec:
            params["set"] = set_spec
    seen = SeenCursors(COMPONENT)
    if resumption_token:
        seen.next(resumption_token)
    while True:
        page = parse(client.get(settings.oai_url, params=params, component=COMPONENT).content)
        yield page
        if not page.resumption_token:
            return
        params = {"verb": "ListRecords", "resumptionToken": seen.next(page.resumption_token)}

"""One XML parser configuration for every source: no entity expansion, no DTD, no network."""

from __future__ import annotations

from lxml import etree

from academichub.errors import ParseError


def _parser() -> etree.XMLParser:
    # A parser per call: lxml parsers keep error state and are not safe to share across threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, *, component: str) -> etree._Element:
    """Parse untrusted XML bytes, refusing entity declarations; errors name the component."""
    if not data or not data.strip():
        raise ParseError("empty response, expected XML", component=component)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"malformed XML ({exc.msg or exc})", component=component) from None
    if root is None:
        raise ParseError("no XML document element", component=component)
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ParseError("XML declares entities, refused (entity expansion attack?)", component=component)
    return root


def text_of(element: etree._Element | None) -> str:
    """All text inside an element, or '' when it is missing."""
    if element is None:
        return ""
    return "".join(element.itertext())


def local_name(element: etree._Element) -> str:
    """The tag without its namespace."""
    return etree.QName(element).localname

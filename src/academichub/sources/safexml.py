"""One XML parser configuration for every source: no entity expansion, no DTD, no network."""

from __future__ import annotations

from lxml import etree

from academichub.errors import ParseError


class MalformedXmlError(ParseError):
    """Bytes that are not well-formed XML (a file broken part-way can still be repaired)."""


def _parser(recover: bool = False) -> etree.XMLParser:
    # A parser per call: lxml parsers keep error state and are not safe to share across threads.
    # huge_tree=False keeps libxml2's limits on depth and node sizes.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=recover,
    )


def _refuse_entities(root: etree._Element, component: str) -> None:
    # Read from the parsed document, wherever its DTD sits (a prefix scan missed one after 64 KB).
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ParseError("XML declares entities, refused (entity expansion attack?)", component=component)


def check_no_entities(data: bytes, *, component: str) -> None:
    """Refuse a document that declares entities, for parsers (feedparser) that do not use lxml."""
    parser = _parser(recover=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return  # not XML lxml can read at all: the lenient parser's own problem, no DTD was honoured
    if root is not None:
        _refuse_entities(root, component)


def repair(data: bytes, *, component: str) -> tuple[bytes, str] | None:
    """A broken document cut back to what parses (entities still refused), and where it broke;
    None when nothing of it can be read."""
    parser = _parser(recover=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    _refuse_entities(root, component)
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    where = f"line {errors[0].line}: {errors[0].message}" if errors else "an unknown place"
    return etree.tostring(root), where


def parse_xml(data: bytes, *, component: str) -> etree._Element:
    """Parse untrusted XML bytes, refusing entity declarations; errors name the component."""
    if not data or not data.strip():
        raise ParseError("empty response, expected XML", component=component)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedXmlError(f"malformed XML ({exc.msg or exc})", component=component) from None
    if root is None:
        raise ParseError("no XML document element", component=component)
    _refuse_entities(root, component)
    return root


def text_of(element: etree._Element | None) -> str:
    """All text inside an element, or '' when it is missing."""
    if element is None:
        return ""
    return "".join(element.itertext())


def local_name(element: etree._Element) -> str:
    """The tag without its namespace."""
    return etree.QName(element).localname

"""Every interface string has a Chinese translation in the catalogue (the test fails on a gap)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from academichub.i18n import LOCALE_DIR, gettext_for, pick_language

ROOT = Path(__file__).resolve().parents[1]
METHODS = [("**/web/templates/**.html", "jinja2"), ("**.py", "python")]


def interface_strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT / "src" / "academichub", METHODS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_interface_string_has_a_chinese_translation() -> None:
    strings = interface_strings()
    assert len(strings) > 50  # extraction works: templates and Python were both read
    with (LOCALE_DIR / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    missing = sorted(s for s in strings if not (catalog.get(s) and catalog.get(s).string))
    assert missing == [], f"add these to locale/zh/LC_MESSAGES/messages.po: {missing}"
    # A plural entry ("{total} result" / "{total} results") keeps its placeholders in every form.
    placeholders = [m.id for m in catalog if m.id for ident, text in _forms(m)
                    if "{" in ident and sorted(_fields(ident)) != sorted(_fields(text))]
    assert placeholders == [], f"translations must keep their {{placeholders}}: {placeholders}"


def _forms(message) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(source, translation) pairs of a catalogue entry: one, or each plural form against the plural source."""
    if isinstance(message.id, str):
        return [(message.id, message.string)]
    return [(message.id[-1], text) for text in message.string]


def _fields(text: str) -> list[str]:
    import string
    return [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name]


def test_languages_and_fallbacks() -> None:
    assert gettext_for("zh")("Show another batch") == "换一批"
    assert gettext_for("en")("Show another batch") == "Show another batch"
    assert pick_language(None, "en-US,en;q=0.9") == "en" and pick_language("fr", None) == "zh"


def test_a_label_ends_in_its_languages_colon() -> None:
    """Chinese pages said "参考文献: BibTeX" and "详情: …": a colon written after a translated label
    in the template is ASCII in every language; `_(": ")` is "：" in Chinese."""
    import re

    written = {path.name: re.findall(r'_\("[^"]+"\) \}\}:', path.read_text())
               for path in (ROOT / "src/academichub/web/templates").glob("*.html")}
    assert {name: found for name, found in written.items() if found} == {}

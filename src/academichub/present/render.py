"""Rendering untrusted titles and abstracts: everything escaped, LaTeX math shown as MathML,
text-mode TeX (emphasis, escaped characters) shown as text.

Math segments ($…$, $$…$$, \\(…\\), \\[…\\]) go through latex2mathml, whose output can carry raw text
from the source (``\\text{<img onerror=…>}``) or links (``\\href``); it is therefore
sanitised with nh3 against an allowlist of presentation-MathML tags and attributes, with no
URLs allowed. Chromium renders MathML natively, so no script or CDN is needed.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from latex2mathml.converter import convert
from markupsafe import Markup, escape

from academichub.keys import MATH_SEGMENT, html_to_text
from academichub.present.tex_text import ASTRONOMY, render_pieces

MAX_MATH = 400
BOXED_MATH = 30  # TeX characters past which a formula may be wider than a 320-pixel screen
MATHML_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac",
    "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle",
    "mpadded", "mphantom", "menclose", "merror", "semantics", "annotation",
}
_MATHML_ATTRS = {"mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "accent",
                 "accentunder", "displaystyle", "scriptlevel", "columnalign", "rowspacing",
                 "columnspacing", "linethickness", "notation", "width", "height", "depth", "movablelimits"}
MATHML_ATTRIBUTES = {tag: set(_MATHML_ATTRS) for tag in MATHML_TAGS}
MATHML_ATTRIBUTES["math"] |= {"display"}


@lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, display: bool = False) -> str | None:
    """Safe MathML for a LaTeX math snippet, or None when it cannot be converted."""
    if len(tex) > MAX_MATH:
        return None
    try:
        mathml = convert(math_source(tex), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many error types on malformed TeX; show the source
        return None
    safe = nh3.clean(mathml, tags=MATHML_TAGS, attributes=MATHML_ATTRIBUTES, url_schemes=set(),
                     strip_comments=True, link_rel=None)
    return safe.replace("<mi>±</mi>", "<mo>±</mo>")  # an operator, spaced as one (latex2mathml: an identifier)


# What latex2mathml does not typeset as TeX does, written the way it understands. \sim is the
# relation ∼ (it made an identifier "~": 6,945 formulas of the corpus, "z~2" unspaced); the
# astronomers' macros (AASTeX, MNRAS) print their symbols, braced so that "1.5^\deg" holds (it
# printed "\AA" and "\arcsec" as written, and \sun as ☼ where astronomers mean ☉); inside
# \text{}, \textrm{}, \mbox{} … they are plain characters.
_IN_MATH = {name: rf"{{\text{{{symbol}}}}}" for name, symbol in ASTRONOMY.items()} | {"sim": r"\thicksim "}
_IN_TEXT = ASTRONOMY | {"sim": "∼"}
_MACRO = re.compile(r"\\(" + "|".join(sorted(_IN_MATH, key=len, reverse=True)) + r")(?![a-zA-Z])")
_TEXT_GROUP = re.compile(r"\\(text|textrm|textit|textbf|textsf|texttt|textnormal|mbox|hbox)\{((?:[^{}]|\{[^{}]*\})*)\}")


def math_source(tex: str) -> str:
    """A formula's TeX with the macros latex2mathml gets wrong written as it reads them."""
    if "\\" not in tex:
        return tex
    tex = _TEXT_GROUP.sub(lambda group: f"\\{group.group(1)}{{" + _MACRO.sub(lambda m: _IN_TEXT[m.group(1)], group.group(2))
                          .replace("{", "").replace("}", "") + "}", tex)
    return _MACRO.sub(lambda m: _IN_MATH[m.group(1)], tex)


# Formulas of one text turned into MathML (the corpus's most is 54): an abstract of 1,666
# distinct formulas, which a source may send, took a third of a second to render.
MAX_FORMULAS = 200
RENDERED = 4096  # titles and abstracts kept rendered: a paper on many readers' cards is converted once


@lru_cache(maxsize=RENDERED)
def render_tex(text: str | None) -> Markup:
    """Escape `text` for HTML, turning its math segments into sanitised MathML."""
    if not text:
        return Markup("")
    parts: list[str | Markup] = []
    position = 0
    for count, match in enumerate(MATH_SEGMENT.finditer(text)):
        if count == MAX_FORMULAS:  # the rest as its source: each distinct formula costs about 0.2 ms
            return Markup(render_pieces(parts) + str(escape(text[position:])))
        parts.append(text[position:match.start()])
        tex = match.group(1) or match.group(2) or match.group(3) or match.group(4)
        mathml = tex_to_mathml(tex.strip(), display=match.group(1) is not None or match.group(4) is not None)
        if mathml is not None and len(tex) > BOXED_MATH:  # in a box (static/app.css) it scrolls on its own,
            mathml = f'<span class="tex">{mathml}</span>'  # where it would have widened a phone's page
        parts.append(Markup(mathml) if mathml is not None else escape(match.group(0)))
        position = match.end()
    parts.append(text[position:])
    return Markup(render_pieces(parts))


@lru_cache(maxsize=RENDERED)
def render_paragraphs(text: str | None) -> Markup:
    """An abstract as HTML paragraphs, each rendered by `render_tex` (kept whole, not once more per paragraph)."""
    paragraphs = [p for p in (text or "").split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{render_tex.__wrapped__(p)}</p>" for p in paragraphs))


@lru_cache(maxsize=RENDERED)
def plain_text(text: str | None) -> str:
    """A title or abstract as plain Unicode text, its TeX typeset as far as text can show it (an
    e-mail's or a chat message's line: "SO$_2$ ice at $z \\sim 2.5$" is "SO₂ ice at z ∼ 2.5")."""
    if not text or ("$" not in text and "\\" not in text and "--" not in text):
        return text or ""
    return " ".join(html_to_text(str(render_tex(text))).split())

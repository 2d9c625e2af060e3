"""Rendering untrusted titles and abstracts: everything escaped, LaTeX math shown as MathML,
text-mode TeX (emphasis, escaped characters) shown as text.

Math segments ($…$, $$…$$, \\(…\\)) go through latex2mathml, whose output can carry raw text
from the source (``\\text{<img onerror=…>}``) or links (``\\href``); it is therefore
sanitised with nh3 against an allowlist of presentation-MathML tags and attributes, with no
URLs allowed. Chromium renders MathML natively, so no script or CDN is needed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import nh3
from latex2mathml.converter import convert
from markupsafe import Markup, escape

from academichub.keys import MATH_SEGMENT

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
        mathml = convert(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many error types on malformed TeX; show the source
        return None
    return nh3.clean(mathml, tags=MATHML_TAGS, attributes=MATHML_ATTRIBUTES, url_schemes=set(),
                     strip_comments=True, link_rel=None)


# Text-mode TeX outside math, in about one abstract in eight of the arXiv corpus: {\\it x},
# \\textbf{x}, \\emph{x}, \\href{url}{x}, \\%. Shown as text (in <i> or <b> where it is emphasis),
# not as its source. Written out rather than through pylatexenc, which reads a bare "%" (as in
# "15% faster", common in abstracts) as a comment and drops the rest of the line. An argument
# holds at most one level of braces; anything else is left as it was written.
_ARGUMENT = r"((?:[^{}\\$]|\{[^{}\\$]*\})*)"
_TEXT_TEX = re.compile(
    r"\{\\(it|em|sl|bf|sc|tt|rm|sf|up)\s+" + _ARGUMENT + r"\}"
    r"|\\(textit|emph|textsl|textbf|textsc|texttt|textrm|textsf|textup|textnormal|underline|url|mbox)\{"
    + _ARGUMENT + r"\}"
    r"|\\href\{[^{}\s]*\}\{" + _ARGUMENT + r"\}")
_STYLE_TAG = {"it": "i", "sl": "i", "textit": "i", "textsl": "i", "em": "em", "emph": "em", "bf": "b", "textbf": "b"}
_ESCAPED = re.compile(r"\\([%&_#])")  # \% and friends: the character itself (\$ is math's business)


# Accents typed as TeX outside math (K\\"ahler, Schr\\"odinger, Poincar\\'e, \\c{c}; in about 280
# abstracts of the corpus): the letter with its combining mark, composed.
_MARKS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304", ".": "\u0307",
          "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328"}
_ACCENT = r"\\(?:([\"'`^~=.])\s*(?:\{([A-Za-z])\}|([A-Za-z]))|([cvuHk])\{([A-Za-z])\})"
_ACCENTS = re.compile(r"\{" + _ACCENT + r"\}|" + _ACCENT)


def _accented(match: re.Match[str]) -> str:
    mark, *letters = (g for g in match.groups() if g is not None)
    return unicodedata.normalize("NFC", letters[0] + _MARKS[mark])


def _plain(part: str) -> str:
    # TeX quotes (``like this'') read better as typographic quotes.
    part = _ESCAPED.sub(r"\1", part.replace("``", "\u201c").replace("''", "\u201d"))
    return str(escape(part))


def _text(part: str) -> str:
    if "\\" not in part:
        return _plain(part)
    part = _ACCENTS.sub(_accented, part)
    pieces: list[str] = []
    position = 0
    for match in _TEXT_TEX.finditer(part):
        pieces.append(_plain(part[position:match.start()]))
        command = match.group(1) or match.group(3)
        inner = _plain(next(g for g in match.group(2, 4, 5) if g is not None).replace("{", "").replace("}", ""))
        tag = _STYLE_TAG.get(command or "")
        pieces.append(f"<{tag}>{inner}</{tag}>" if tag else inner)
        position = match.end()
    pieces.append(_plain(part[position:]))
    return "".join(pieces)


# Formulas of one text turned into MathML (the corpus's most is 54): an abstract of 1,666
# distinct formulas, which a source may send, took a third of a second to render.
MAX_FORMULAS = 200
RENDERED = 4096  # titles and abstracts kept rendered: a paper on many readers' cards is converted once


@lru_cache(maxsize=RENDERED)
def render_tex(text: str | None) -> Markup:
    """Escape `text` for HTML, turning its math segments into sanitised MathML."""
    if not text:
        return Markup("")
    parts: list[str] = []
    position = 0
    for count, match in enumerate(MATH_SEGMENT.finditer(text)):
        if count == MAX_FORMULAS:  # the rest as text: each distinct formula costs about 0.2 ms
            break
        parts.append(_text(text[position:match.start()]))
        tex = match.group(1) or match.group(2) or match.group(3)
        mathml = tex_to_mathml(tex.strip(), display=match.group(1) is not None)
        if mathml is not None and len(tex) > BOXED_MATH:  # in a box (static/app.css) it scrolls on its own,
            mathml = f'<span class="tex">{mathml}</span>'  # where it would have widened a phone's page
        parts.append(mathml if mathml is not None else str(escape(match.group(0))))
        position = match.end()
    parts.append(_text(text[position:]))
    return Markup("".join(parts))


@lru_cache(maxsize=RENDERED)
def render_paragraphs(text: str | None) -> Markup:
    """An abstract as HTML paragraphs, each rendered by `render_tex` (kept whole, not once more per paragraph)."""
    paragraphs = [p for p in (text or "").split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{render_tex.__wrapped__(p)}</p>" for p in paragraphs))

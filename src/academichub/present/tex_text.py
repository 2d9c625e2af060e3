"""Text-mode TeX (what lies outside a title's or abstract's math) as safe HTML: emphasis, accents,
dashes, spaces, symbols and citations shown as typeset; whatever is not understood is shown as written.

arXiv shows abstracts as their authors typed them, TeX and all, and about one in ten of the corpus
carries text-mode TeX: "--" for a range or a dash (5,429 of 51,698), "\\," before a unit (307),
"\\ " after an abbreviation, "\\AA", "\\o", "\\ss", "\\sim" or "\\pm" written outside math, nested
"\\textbf{\\textit{…}}", "\\cite{key}". Every piece of text is escaped; the only tags made are
<i>, <em>, <b>, <sup> and <sub>, without attributes. Written out rather than through pylatexenc's
parser, which reads a bare "%" ("15% faster") as a comment and drops the rest of the line; its
table of symbol macros is used as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache

from markupsafe import Markup, escape
from pylatexenc.latex2text import get_default_latex_context_db as text_specs
from pylatexenc.latexwalker import get_default_latex_context_db as parse_specs

# Braces nested deeper than this are shown as written: "{{{…" from a hostile source must not
# make the renderer recurse thousands of levels deep.
MAX_DEPTH = 16

_TOKEN = re.compile(r"\\([A-Za-z]+)\*?|\\(.)|([{}])|([^\\{}]+)|(\\)", re.DOTALL)

# Accents: the letter (or a group's first letter) with its combining mark, composed.
_SYMBOL_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
                   ".": "\u0307"}
# \d, \b and \t are left out: in abstracts they are authors' own macros ("\b geometric").
_WORD_ACCENTS = {"c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328", "r": "\u030a"}
_DOTLESS = {"ı": "i", "ȷ": "j"}  # \"{\i} is ï

# Control symbols: \% and its kind are the character; the spacing commands are spaces.
_CONTROL_SYMBOLS = {"%": "%", "&": "&", "_": "_", "#": "#", "$": "$", "{": "{", "}": "}",
                    ",": "\u202f", " ": " ", "\n": " ", "\t": " ", ";": " ", ":": " ", ">": " ", "\\": " ",
                    "!": "", "/": "", "@": ""}
_STYLES = {"textit": "i", "textsl": "i", "emph": "em", "textbf": "b", "textsuperscript": "sup",
           "textsubscript": "sub", "textsc": "", "texttt": "", "textrm": "", "textsf": "", "textup": "",
           "textmd": "", "textnormal": "", "underline": "", "url": "", "mbox": "", "hbox": "", "text": ""}
# Declarations switch the style of the rest of their group: {\it JWST}, {\bf x}, {\small AREPO}.
_DECLARATIONS = {"it": "i", "itshape": "i", "sl": "i", "slshape": "i", "em": "em", "bf": "b", "bfseries": "b",
                 "sc": "", "scshape": "", "tt": "", "ttfamily": "", "rm": "", "rmfamily": "", "sf": "",
                 "sffamily": "", "up": "", "upshape": "", "normalfont": "", "tiny": "", "scriptsize": "",
                 "footnotesize": "", "small": "", "normalsize": "", "large": "", "Large": "", "LARGE": "",
                 "huge": "", "Huge": ""}
_SECOND_ARGUMENT = {"href", "textcolor"}  # the text is the second argument: a link's target is never shown
_CITES = {"cite", "citep", "citet", "citealt", "citealp", "citeauthor", "citeyear"}
# Astronomers' macros (AASTeX, MNRAS) that pylatexenc does not know, as those classes typeset them.
ASTRONOMY = {"deg": "°", "degr": "°", "arcdeg": "°", "arcmin": "′", "arcsec": "″", "sun": "☉", "Sun": "☉",
             "micron": "μm", "AA": "Å", "farcs": "″.", "farcm": "′.", "fdg": "°.", "earth": "⊕"}
_UNSUITABLE = {"today", "vspace", "hspace", "prime", "quad", "qquad"}  # a date, or spacing with arguments


@cache
def symbol_macros() -> dict[str, str]:
    """Macros without arguments and what they print: pylatexenc's table (\\alpha α, \\o ø, \\ldots …,
    \\sim ∼) and the astronomers' few."""
    parsing = parse_specs()
    symbols = {}
    for spec in text_specs().iter_macro_specs():
        text = spec.simplify_repl
        if (isinstance(text, str) and text.strip() and spec.macroname.isalpha() and spec.macroname not in _UNSUITABLE
                and "%" not in text and "<" not in text
                and not getattr(parsing.get_macro_spec(spec.macroname), "arguments_spec_list", None)):
            symbols[spec.macroname] = text
    return symbols | ASTRONOMY


def _tokens(pieces: list[str | Markup]) -> Iterator[tuple[str, str, str, str, str, str]]:
    for piece in pieces:
        if isinstance(piece, Markup):  # a formula, made already
            yield "", "", "", "", "", str(piece)
        else:
            for match in _TOKEN.findall(piece):
                yield (*match, "")


def _tree(pieces: list[str | Markup]) -> list[tuple]:
    """Tokens in nested groups; a brace without its partner, or nested too deep, is shown as it is."""
    root: list[tuple] = []
    stack = [root]
    too_deep = 0
    for word, symbol, brace, plain, lone, made in _tokens(pieces):
        here = stack[-1]
        if made:
            here.append(("html", made))
        elif word:
            here.append(("word", word))
        elif symbol:
            here.append(("symbol", symbol))
        elif plain or lone:
            here.append(("text", plain or lone))
        elif brace == "{":
            if len(stack) > MAX_DEPTH:
                too_deep += 1
                here.append(("brace", "{"))
            else:
                stack.append([])
        elif too_deep:
            too_deep -= 1
            here.append(("brace", "}"))
        elif len(stack) > 1:
            group = stack.pop()
            stack[-1].append(("group", group))
        else:
            here.append(("brace", "}"))
    while len(stack) > 1:  # never closed: shown as written
        group = stack.pop()
        stack[-1].extend([("brace", "{"), *group])
    return root


def _argument(nodes: list[tuple], index: int) -> tuple[list[tuple] | None, int]:
    """A command's argument at `index` (a group, a command or one character, spaces skipped) and
    the index after it; None when there is none."""
    while index < len(nodes) and nodes[index][0] == "text" and not nodes[index][1].strip():
        index += 1
    if index == len(nodes) or nodes[index][0] == "brace":  # "\\textit{" never closed takes no argument
        return None, index
    node = nodes[index]
    if node[0] == "group":
        return node[1], index + 1
    if node[0] == "text":
        text = node[1].lstrip()
        nodes[index] = ("text", text[1:])  # the rest of the run stays for what follows
        return [("text", text[0])], index if text[1:] else index + 1
    return [node], index + 1


def _accent(mark: str, argument: list[tuple] | None, source: str) -> str:
    """An accented letter: the argument's first character with the mark, composed; the rest as text."""
    if argument is None:  # an accent at the very end: as written
        return str(escape(source))
    plain = render(argument)
    if not plain[:1].isalpha():  # nothing to put the mark on (or markup): the argument alone
        return plain
    letter = _DOTLESS.get(plain[0], plain[0])
    return unicodedata.normalize("NFC", letter + mark) + plain[1:]


_URL = re.compile(r"(https?://\S+)")
_TEX_HINT = re.compile(r"[\\{}~]|--|``|''")
_DASHES = re.compile(r"(?<![-<>!])-{2,3}(?![->])")
_TIE = re.compile(r"~(?![\d.+\-−]|\s*\d)|(?<=\.)~")


def _dash(match: re.Match[str]) -> str:
    if len(match.group(0)) == 3:
        return "\u2014"
    text, start = match.string, match.start()
    option = (start == 0 or text[start - 1] in " \t\n([") and text[match.end():match.end() + 1].isalpha()
    return match.group(0) if option else "\u2013"  # "--help" is a command-line option, not a dash


def _prose(text: str) -> str:
    """A run of plain text: TeX's quotes, dashes and ties typeset, outside web addresses."""
    pieces = _URL.split(text)
    for index in range(0, len(pieces), 2):
        piece = pieces[index].replace("``", "\u201c").replace("''", "\u201d")
        # A tie (Fig.~1, challenge~\cite) is a no-break space; "z~2.56" and "~0.1 mJy" mean "about".
        pieces[index] = _TIE.sub("\u00a0", _DASHES.sub(_dash, piece))
    return str(escape("".join(pieces)))


def _wrap(tag: str, html: str) -> str:
    return f"<{tag}>{html}</{tag}>" if tag and html else html


def render(nodes: list[tuple]) -> str:
    """HTML of a parsed run of text-mode TeX."""
    nodes = list(nodes)  # arguments split the runs they come from
    out: list[str] = []
    closing: list[str] = []  # the tags declarations opened, closed at the group's end
    index = 0
    while index < len(nodes):
        kind, value = nodes[index]
        index += 1
        if kind == "text":
            out.append(_prose(value))
        elif kind in ("brace", "html"):
            out.append(value)
        elif kind == "group":
            out.append(render(value))
        elif kind == "symbol":
            if value in _SYMBOL_ACCENTS:
                argument, index = _argument(nodes, index)
                out.append(_accent(_SYMBOL_ACCENTS[value], argument, "\\" + value))
            elif value == "-":
                out.append(_hyphen(out, nodes[index:index + 1]))
            else:
                out.append(str(escape(_CONTROL_SYMBOLS.get(value, "\\" + value))))
        elif value in _DECLARATIONS:  # the rest of the group in its style
            if tag := _DECLARATIONS[value]:
                out.append(f"<{tag}>")
                closing.append(f"</{tag}>")
            _eat_spaces(nodes, index)
        else:
            index = _command(value, nodes, index, out)
    return "".join(out + closing[::-1])


def _hyphen(before: list[str], after: list[tuple]) -> str:
    """TeX's "\\-": a hyphenation point inside a word (Dyn\\-kin, repre\\-sentable), else what its
    authors meant by it, a hyphen (WikiText\\-103, En\\-De, "0.65 +\\- 0.01")."""
    previous = before[-1][-1:] if before else ""
    following = after[0][1][:1] if after and after[0][0] == "text" else ""
    return "\u00ad" if previous.islower() and following.islower() else "-"


def _eat_spaces(nodes: list[tuple], index: int) -> None:
    """Remove the spaces TeX swallows after a control word from the node at `index`."""
    if index < len(nodes) and nodes[index][0] == "text":
        nodes[index] = ("text", nodes[index][1].lstrip())


def _command(name: str, nodes: list[tuple], index: int, out: list[str]) -> int:
    """Render the control word `name` (and the arguments it takes) into `out`; the index after them."""
    if name in _WORD_ACCENTS:
        argument, index = _argument(nodes, index)
        out.append(_accent(_WORD_ACCENTS[name], argument, "\\" + name))
        return index
    if name in _STYLES or name in _SECOND_ARGUMENT or name in _CITES or name in ("footnote", "nocite"):
        argument, after = _argument(nodes, index)
        if name in _SECOND_ARGUMENT and argument is not None:
            argument, after = _argument(nodes, after)
        if argument is None:
            out.append(str(escape("\\" + name)))
            return index
        if name in _CITES:  # the key, where the reference list would have put its number
            out.append("[" + render(argument) + "]")
        elif name == "footnote":
            out.append(" (" + render(argument) + ")")
        elif name == "nocite":  # lists a reference without citing it: nothing in the text
            pass
        else:
            out.append(_wrap(_STYLES.get(name, ""), render(argument)))
        return after
    symbol = symbol_macros().get(name)
    if symbol is None:  # an author's own macro (\ours, \method): as written, its braces too
        out.append(str(escape("\\" + name)))
        if index < len(nodes) and nodes[index][0] == "group":
            out.append("{" + render(nodes[index][1]) + "}" if nodes[index][1] else "")
            return index + 1
        return index
    out.append(str(escape(symbol)))
    if index < len(nodes) and nodes[index] == ("group", []):  # \AA{} and \o{}: the braces end the name
        return index + 1
    if symbol.isalpha() and "LATIN" in unicodedata.name(symbol[0], "") and name != "AA":
        _eat_spaces(nodes, index)  # Bj\o rn is Bjørn
    return index


def render_pieces(pieces: list[str | Markup]) -> str:
    """HTML for text-mode TeX around formulas made already (Markup, kept as they are, so
    "\\textbf{$x$ wins}" is bold around its formula): typeset what is understood, escape everything."""
    if not any(isinstance(p, str) and not isinstance(p, Markup) and _TEX_HINT.search(p) for p in pieces):
        return "".join(p if isinstance(p, Markup) else str(escape(p)) for p in pieces)
    return render(_tree(pieces))

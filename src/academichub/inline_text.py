"""The text of an element whose inline markup carries meaning: superscripts and subscripts (HTML,
JATS) and MathML formulas, as PubMed, Crossref and journal feeds write titles and abstracts.

Taking only the text of such markup loses what it says: "km·h<sup>-1</sup>" became "km·h-1" (h
minus one), and a MathML formula laid out on several lines became one letter per word
("V . O 2 m a x" for V̇O₂max). Scripts are written with Unicode's superscript and subscript
characters where they have one; a formula is read from its structure (scripts, accents,
fractions, roots), the whitespace of its layout ignored.
"""

from __future__ import annotations

import re

from lxml import etree

_SUPER = dict(zip("0123456789+-−=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ", strict=True))
_SUB = dict(zip("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎", strict=True))
# An accent over one letter (MathML's <mover>): V̇ (a rate), x̂, x̃, x̄, a vector's arrow.
_ACCENTS = {".": "\u0307", "˙": "\u0307", "\u0307": "\u0307", "^": "\u0302", "ˆ": "\u0302", "~": "\u0303",
            "˜": "\u0303", "¯": "\u0304", "‾": "\u0304", "_": "\u0304", "→": "\u20d7", "⃗": "\u20d7"}
_RELATIONS = frozenset("=<>≤≥≈≠∼≃≡±∓")
_TOKENS = frozenset({"mi", "mn", "mo", "mtext", "ms"})
_SKIPPED = frozenset({"annotation", "annotation-xml", "script", "style"})


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # a comment or a processing instruction
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _scripted(text: str, table: dict[str, str]) -> str:
    """`text` in superscript or subscript characters where every character has one, else as it is."""
    text = text.strip()
    return "".join(table[ch] for ch in text) if text and all(ch in table for ch in text) else text


def element_text(element: etree._Element) -> str:
    """All text inside `element` (not its tail), its scripts and formulas kept legible."""
    name = _local(element)
    if name in _SKIPPED:
        return ""
    if name == "math":
        return _math(element)
    inner = (element.text or "") + "".join(element_text(child) + (child.tail or "") for child in element)
    if name == "sup":
        return _scripted(inner, _SUPER)
    if name == "sub":
        return _scripted(inner, _SUB)
    if name in ("list-item", "td", "th"):  # JATS's and HTML's blocks inside a paragraph: words apart
        return f" {inner} "
    return inner


def _scripts(pairs: list[etree._Element]) -> str:
    """Alternating subscripts and superscripts of <mmultiscripts> (<none/> is an empty one)."""
    return "".join(_scripted(_math(c), _SUB if i % 2 == 0 else _SUPER) for i, c in enumerate(pairs))


def _math(element: etree._Element) -> str:
    """A MathML element as linear text."""
    name = _local(element)
    children = [c for c in element if _local(c) and _local(c) not in _SKIPPED]
    if name in _TOKENS:
        written = "".join(element.itertext())
        if name == "mtext":  # text's own spaces count ("<mtext> </mtext>" between two symbols)
            return re.sub(r"\s+", " ", written)
        text = " ".join(written.split())
        return f" {text} " if name == "mo" and text in _RELATIONS else text
    if name == "mspace":
        return " "
    if name == "semantics":  # the presentation, not its annotations
        return _math(children[0]) if children else ""
    if name == "mmultiscripts" and children:  # base, (sub, sup)…, <mprescripts/>, (sub, sup)… (¹²⁹Xe)
        names = [_local(c) for c in children]
        split = names.index("mprescripts") if "mprescripts" in names else len(children)
        after, before = children[1:split], children[split + 1:]
        return _scripts(before) + _math(children[0]) + _scripts(after)
    parts = [_math(c) for c in children]
    if name in ("msub", "msup", "msubsup") and parts:
        base, scripts = parts[0], parts[1:]
        tables = {"msub": [_SUB], "msup": [_SUPER], "msubsup": [_SUB, _SUPER]}[name]
        return base + "".join(_scripted(s, t) for s, t in zip(scripts, tables, strict=False))
    if name in ("mover", "munder", "munderover") and len(parts) >= 2:
        base, marks = parts[0], parts[1:]
        accent = _ACCENTS.get(marks[-1].strip()) if name == "mover" and len(base) == 1 else None
        return base + accent if accent else base + "".join(marks)
    if name == "mfrac" and len(parts) == 2:
        top, bottom = (p if len(p.strip()) <= 1 else f"({p.strip()})" for p in parts)
        return f"{top}/{bottom}"
    if name == "msqrt":
        return "√" + ("".join(parts) if len("".join(parts)) <= 1 else f"({''.join(parts)})")
    if name == "mroot" and len(parts) == 2:
        return _scripted(parts[1], _SUPER) + "√" + (parts[0] if len(parts[0]) <= 1 else f"({parts[0]})")
    if name == "mfenced":
        return (element.get("open", "(") + (element.get("separators", ",")[:1] or ",").join(parts)
                + element.get("close", ")"))
    if name == "mtr":
        return ", ".join(parts)
    if name == "mtable":
        return "; ".join(parts)
    return "".join(parts)


# MEDLINE writes scripts in parentheses, in ASCII: an isotope's mass number before its element
# ("(13)C NMR", "(1)H"), a count after one ("CO(2)", "H(2)O", "Me(2)SO") and a charge ("Ca(2+)").
_ELEMENTS = frozenset(["H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og"])
_ISOTOPE = re.compile(r"(?<![\w)])\((\d{1,3})\)([A-Z][a-z]?)(?![a-z])")
_AFTER_ELEMENT = re.compile(r"(?<![A-Za-z])((?:[A-Z][a-z]?(?:\(\d{1,2}\))?(?:\(\d{0,2}[+-]\))?){1,8})")
_SCRIPT = re.compile(r"([A-Z][a-z]?)(?:\((\d{1,2})\))?(?:\((\d{0,2}[+-])\))?")


def _formula(match: re.Match[str]) -> str:
    """A run of element symbols with MEDLINE's parenthesised counts and charges, written with scripts
    (only when every symbol of the run is an element: "Me(2)SO" has a methyl, and is left as it is)."""
    run = match.group(1)
    symbols = re.findall(r"[A-Z][a-z]?", run)
    if "(" not in run or not all(s in _ELEMENTS for s in symbols):
        return run

    def scripted(part: re.Match[str]) -> str:
        symbol, count, charge = part.groups()
        return symbol + "".join(_SUB[ch] for ch in count or "") + "".join(_SUPER[ch] for ch in charge or "")
    return _SCRIPT.sub(scripted, run)


def medline_scripts(text: str) -> str:
    """MEDLINE's ASCII scripts as Unicode: "(13)C" is ¹³C, "CO(2)" CO₂, "Ca(2+)" Ca²⁺."""
    if "(" not in text:
        return text
    text = _ISOTOPE.sub(lambda m: (_scripted(m.group(1), _SUPER) + m.group(2)) if m.group(2) in _ELEMENTS
                        else m.group(0), text)
    return _AFTER_ELEMENT.sub(_formula, text)

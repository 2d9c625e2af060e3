"""Untrusted text to HTML: escaped everywhere, math as sanitised MathML (property tests)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from academichub.present.render import MATHML_ATTRIBUTES, MATHML_TAGS, render_paragraphs, render_tex
from tests.conftest import DATA

EMPHASIS = {"i", "b", "em", "sup", "sub"}
PAYLOADS = [r"\\textbf{<script>}", r"{\\it <img src=x onerror=alert(1)>}", r"\\href{javascript:alert(1)}{<b>}", "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "javascript:alert(1)",
            r"\href{javascript:alert(1)}{x}", r"\text{<svg onload=alert(1)>}", "<a href='//evil'>x</a>",
            r"\unknown{<b>}", "&lt;script&gt;", "\"'><iframe src=//evil>"]
TEXT_TEX = [r"\textsuperscript{", r"\footnote{", r"\cite{", r"\href{", r"\'", r"\c", r"\o ", r"\it ", r"\bf",
            r"\AA", r"\-", r"\,", "--", "---", "~", "{", "}", "``", "''", r"\\", "\\"]
fragments = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=30), st.sampled_from(TEXT_TEX),
                      st.sampled_from([r"x^2", r"\alpha_{i}", r"\frac{a}{b}", r"\mathrm{CeAg}_2"]))
texts = st.lists(st.tuples(fragments, st.sampled_from(["", "$", "$$", r"\(", r"\)", r"\[", r"\]"])), max_size=8).map(
    lambda parts: "".join(a + b for a, b in parts))
TAG = re.compile(r"<([a-zA-Z][\w-]*)([^>]*)>")
ATTRIBUTE = re.compile(r"([\w-]+)\s*=")


@settings(max_examples=300)
@given(texts)
def test_rendered_text_has_only_mathml_tags_and_no_active_content(text: str) -> None:
    html = str(render_tex(text))
    for tag, attributes in TAG.findall(html):  # escaped source text has no "<": every one is a real tag
        if tag in EMPHASIS:  # text-mode \\textbf{…}, {\\it …}: made by the renderer, never with attributes
            assert attributes == ""
            continue
        if tag == "span":  # the box each formula sits in
            assert attributes == ' class="tex"'
            continue
        assert tag.lower() in MATHML_TAGS
        assert {a.lower() for a in ATTRIBUTE.findall(attributes)} <= MATHML_ATTRIBUTES[tag.lower()]
        assert "javascript" not in attributes.lower()
    stripped = TAG.sub("", html).replace("</", "")
    assert "<" not in stripped


def test_math_becomes_mathml_and_text_stays_text() -> None:
    html = str(render_tex(r"Modular forms over $\mathbb{Q}(\sqrt{5})$ & <friends>"))
    assert "<math" in html and "<msqrt>" in html and "&amp; &lt;friends&gt;" in html
    assert str(render_tex("no math, just $5")) == "no math, just $5"
    assert "<math" in str(render_tex(r"inline \(x_1\) form"))


@pytest.mark.parametrize("tex, mathml", [
    # latex2mathml made \sim an identifier "~" (6,945 formulas of the corpus) and ± an identifier
    (r"$z\sim 2$", "<mi>z</mi><mo>∼</mo><mn>2</mn>"),
    (r"$\sim10^4$", "<mo>∼</mo><msup>"),
    (r"$3.1\pm0.2$", "<mn>3.1</mn><mo>±</mo><mn>0.2</mn>"),
    (r"$x\simeq y$", "<mo>≃</mo>"),  # \sim's longer relatives are left to latex2mathml
    # the astronomers' macros were printed as written ("\AA", "\arcsec") or as ☼
    (r"$5000\,\AA$", "<mtext>Å</mtext>"),
    (r"$1020~\text{\AA}$", "<mtext>Å</mtext>"),
    (r"$\text{{\AA}}$", "<mtext>Å</mtext>"),
    (r"$5\textrm{\AA}$", "<mn>5</mn><mtext>Å</mtext>"),  # every text command, not \text alone
    (r"$\mbox{\AA}$", "<mtext>Å</mtext>"),
    (r"$0\farcs5$", "<mn>0</mn><mtext>″.</mtext><mn>5</mn>"),
    (r"$1.5\arcsec$", "<mtext>″</mtext>"),
    (r"$|b| \leq 1.5^\deg$", "<msup><mn>1.5</mn><mtext>°</mtext></msup>"),
    (r"$M_\sun$", "<msub><mi>M</mi><mtext>☉</mtext></msub>"),
    (r"$5\micron$", "<mtext>μm</mtext>"),
])
def test_math_is_typeset_as_tex_and_the_astronomers_classes_do(tex: str, mathml: str) -> None:
    html = re.sub(r"</?mrow>", "", str(render_tex(tex)))
    assert mathml in html and "\\" not in html and "<mi>~</mi>" not in html, html


def test_the_astronomers_fractional_units_in_running_text() -> None:
    # AASTeX's \farcs puts the decimal point under the arcsecond sign; it stayed "0\farcs5".
    assert str(render_tex(r"a beam of 0\farcs5 and 12\fdg3 near the \earth")) == "a beam of 0″.5 and 12°.3 near the ⊕"


def test_unconvertible_math_is_shown_as_source() -> None:
    assert str(render_tex("$" + "x" * 1000 + "$")).startswith("$xxx")


def test_paragraphs() -> None:
    assert str(render_paragraphs("One.\n\nTwo <b>.")) == "<p>One.</p><p>Two &lt;b&gt;.</p>"


def test_tex_quotes_become_typographic() -> None:
    assert str(render_tex("``finding a needle''")) == "\u201cfinding a needle\u201d"


def test_a_briefings_quoted_finding_keeps_its_math_and_its_citations() -> None:
    from academichub.briefing.export import cite_html

    html = str(cite_html("CCO, C$_3$O$_2$ and <script>alert(1)</script> form [27]", render=render_tex))
    assert "<math" in html and "C$_3$" not in html  # shown as MathML, not as TeX source
    assert '<a class="cite" href="#p-27">[27]</a>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "C$_3$O$_2$" in str(cite_html("C$_3$O$_2$ [1]"))  # exports keep the text as written


def test_text_mode_tex_is_shown_as_text() -> None:
    # About one arXiv abstract in eight carries some; the cards showed "{\\it JWST}" and "15\\%".
    assert str(render_tex(r"the {\it James-Webb Space Telescope} ({\it JWST}) by 15\% and 20%")) == \
        "the <i>James-Webb Space Telescope</i> (<i>JWST</i>) by 15% and 20%"
    assert str(render_tex(r"\textbf{Our method} beats \emph{all} of \textsc{Bench}, AT\&T\_x")) == \
        "<b>Our method</b> beats <em>all</em> of Bench, AT&amp;T_x"
    assert str(render_tex(r"code at \url{https://x.org/a_b} and \href{javascript:alert(1)}{the repo}")) == \
        "code at https://x.org/a_b and the repo"  # a link's text, never its target
    assert str(render_tex(r"\textbf{A {B} C} and \textbf{<i>}")) == "<b>A B C</b> and <b>&lt;i&gt;</b>"
    assert str(render_tex(r"\textit{unclosed and $\textbf{x}$")).startswith(r"\textit{unclosed and <math")


def test_text_accents_and_long_formulas() -> None:
    assert str(render_tex(r"the K\"ahler potential, Poincar\'e and Schr{\"o}dinger, Erd\H{o}s, \v{C}ech")) == \
        "the Kähler potential, Poincaré and Schrödinger, Erdős, Čech"
    long_formula = "$" + "+".join(f"x_{{{i}}}" for i in range(20)) + "$"  # wider than a phone: in its own box
    assert str(render_tex(long_formula)).startswith('<span class="tex"><math')
    assert str(render_tex("$x_1$")).startswith("<math")  # a short one stays in the line as it was


def test_formulas_past_the_cap_stay_source_text() -> None:
    # An abstract of 1,666 distinct formulas (what fits in 20,000 characters) took a third of a
    # second to render; past MAX_FORMULAS the rest is shown as its source, escaped.
    from academichub.present.render import MAX_FORMULAS

    text = " ".join(f"$x_{{{i}}}<y$" for i in range(MAX_FORMULAS + 50))
    html = str(render_tex(text))
    assert html.count("<math") == MAX_FORMULAS
    assert f"$x_{{{MAX_FORMULAS}}}&lt;y$" in html and "<y" not in html.replace("<math", "")


# Excerpts of real abstracts (tests/data/tex_text, by arXiv id): the text-mode TeX in about one in
# ten, which the cards showed as its source ("14\\,--\\,22\\,kpc", "5896\\AA").
CORPUS_TEXT = [(r["id"], r["excerpt"], r["shown"]) for r in map(json.loads, (DATA / "tex_text" /
                                                                            "abstract_excerpts.jsonl").open(encoding="utf-8"))]


def test_text_mode_tex_of_real_abstracts_is_typeset() -> None:
    for arxiv_id, source, shown in CORPUS_TEXT:
        assert str(render_tex(source)) == shown, arxiv_id


def test_tex_inside_and_around_formulas() -> None:
    # A formula inside a command's argument: the text command split around the math was left
    # unclosed and shown as "\\textbf{<i>Omni" (0704.0079 writes display math as \\[ … \\]).
    assert str(render_tex(r"\textbf{Omni$^2$} wins")).startswith("<b>Omni<math")
    display = str(render_tex(r"relations of the form \[ L_{e_i}L_{f_j} = \sum_{k,l} u L_{e_k}\] where"))
    assert '<math display="block">' in display and r"\[" not in display and display.endswith(" where")
    assert str(render_tex(r"$1.2$--$2.2$ km")).count("\u2013") == 1  # a range between two formulas


def test_what_tex_does_not_say_stays_as_written() -> None:
    assert str(render_tex("use the --help flag, a <-- b --> c, ----")) == \
        "use the --help flag, a &lt;-- b --&gt; c, ----"  # an option, arrows and a rule are not dashes
    assert str(render_tex("see https://x.org/a--b~c for it")) == "see https://x.org/a--b~c for it"
    assert str(render_tex(r"we propose \ours{} and \method{X}")) == r"we propose \ours and \method{X}"
    assert str(render_tex(r"Fig.~3, T~10 K and ~0.1 mJy")) == "Fig.\u00a03, T~10 K and ~0.1 mJy"
    assert str(render_tex(r"an accent at the end \'")) == r"an accent at the end \&#39;"
    assert str(render_tex(r"as \nocite{x} in \cite{y}")) == "as  in [y]"  # \nocite prints nothing
    assert str(render_tex(r"Bj\o rn Ma\l{}gorzata Stra\ss e, 5 \AA\ lines")) == \
        "Bj\u00f8rn Ma\u0142gorzata Stra\u00dfe, 5 \u00c5 lines"  # a letter's macro joins its word


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(blacklist_characters="\\{}~-`'$&<>\"")))
def test_text_without_tex_is_only_escaped(text: str) -> None:
    assert str(render_tex(text)) == str(escape(text))


def test_hostile_tex_is_rendered_in_linear_time() -> None:
    # A declaration styles the rest of its group: rendered as a recursion over that rest, "\\it "
    # 50,000 times would go past Python's recursion limit. Each is 100,000 to 400,000 characters.
    import time

    started = time.perf_counter()
    for hostile in ["\\it " * 50_000, "{" * 100_000, "}" * 100_000, "\\'" * 100_000, "\\textbf{" * 50_000,
                    "{\\it " * 40_000, "--a" * 60_000, "\\o " * 60_000, "\\footnote{" * 30_000 + "}" * 30_000]:
        html = str(render_tex.__wrapped__(hostile))
        assert "<" not in TAG.sub("", html).replace("</", "")
    assert time.perf_counter() - started < 10

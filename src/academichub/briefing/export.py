"""A briefing as Markdown or as a standalone HTML page; citations [n] become links to the paper list."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from academichub.briefing.fields import field_name
from academichub.briefing.model import CITATION, Briefing
from academichub.i18n import gettext_for
from academichub.keys import openalex_url, pubmed_url
from academichub.present.links import doi_url

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
@cache
def headings(lang: str) -> dict[str, Any]:
    """A briefing export's headings and labels in its language (from the gettext catalogue)."""
    _ = gettext_for(lang)
    return {"title": _("AcademicHub briefing"), "overview": _("Overview"), "themes": _("Themes"),
            "links": _("Across fields"), "trends": _("Trends"), "read": _("Read first"), "papers": _("Papers"),
            "term": _("topic / category"), "before": _("previous period"), "now": _("this period"),
            "direction": _("direction"),
            "rising": _("rising"), "falling": _("falling"),
            "mode": {"offline": _("offline analyst"), "llm": _("written by an LLM, citations checked")}}


def cite_html(text: str, base: str = "", render: Callable[[str], Any] = escape) -> Markup:
    """Escape a text (or `render` it: the web pages show its TeX as MathML), then turn its [n]
    markers into links to #p-n (the only markup added besides what `render` makes)."""
    def link(match: re.Match) -> str:
        numbers = [n.strip() for n in re.split(r"[,–-]", match.group(1)) if n.strip()]
        return "".join(f'<a class="cite" href="{base}#p-{n}">[{n}]</a>' for n in numbers)
    return Markup(CITATION.sub(link, str(render(text))).replace("\n\n", "<br><br>"))


def cite_markdown(text: str) -> str:
    """[n] markers as Markdown links to the paper list's anchors."""
    return CITATION.sub(lambda m: "".join(f"[\\[{n.strip()}\\]](#p-{n.strip()})"
                                          for n in re.split(r"[,–-]", m.group(1)) if n.strip()), text)


def _md_escape(text: str) -> str:
    """Neutralise Markdown and HTML in untrusted text (titles) for a Markdown document."""
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)


def _prose(text: str) -> str:
    """Prose of a briefing for Markdown: its [n] markers as links, the rest escaped like a title.
    It quotes abstracts and an LLM's words, untrusted both: an abstract's "<img onerror=…>" was
    written into the Markdown export as HTML, which Markdown viewers render."""
    parts, last = [], 0
    for marker in CITATION.finditer(text):
        parts += [_md_escape(text[last:marker.start()]), cite_markdown(marker.group(0))]
        last = marker.end()
    return "".join([*parts, _md_escape(text[last:])])


def to_markdown(briefing: Briefing, radar_name: str = "") -> str:
    """The briefing as a Markdown document."""
    h = headings(briefing.lang)
    period = briefing.period
    lines = [f"# {h['title']} — {_md_escape(radar_name)} {period.get('from')} → {period.get('to')}".replace("  ", " "), "",
             f"*{h['mode'][briefing.mode]}*", ""]
    if briefing.note:
        lines += [f"> {_md_escape(briefing.note)}", ""]
    lines += [f"## {h['overview']}", "", _prose(briefing.overview.text), "", f"## {h['themes']}", ""]
    for theme in briefing.themes:
        lines += [f"### {_md_escape(theme.title)}", "", _prose(theme.text), ""]
    if briefing.links:
        lines += [f"## {h['links']}", ""] + [f"- {_prose(link.text)}" for link in briefing.links] + [""]
    if briefing.trends:
        lines += [f"## {h['trends']}", "", f"| {h['term']} | {h['before']} | {h['now']} | {h['direction']} |", "|---|---|---|---|"]
        lines += [f"| {_md_escape(t.term)} | {t.counted('before')} | {t.counted('now')} | {h['rising'] if t.rising else h['falling']} |"
                  for t in briefing.trends] + [""]
    if briefing.read_first:
        lines += [f"## {h['read']}", ""] + [f"1. {_prose(r.text)}" for r in briefing.read_first] + [""]
    lines += [f"## {h['papers']}", ""]
    for p in briefing.papers:
        fields = ", ".join(field_name(f, briefing.lang) for f in p.fields)
        lines.append(f'<a id="p-{p.n}"></a>**[{p.n}]** {_md_escape(p.title)} — {_md_escape(p.label)}, '
                     f"{p.date.isoformat()} ({fields}) · {paper_link(p.id)}  ")
    return "\n".join(lines).rstrip() + "\n"


def paper_link(public_id: str) -> str:
    """Where a paper id leads: its arXiv, DOI, PubMed or OpenAlex page (a row id leads nowhere
    outside its install and is shown as it is)."""
    if public_id.startswith("arxiv:"):
        return f"https://arxiv.org/abs/{public_id.removeprefix('arxiv:')}"
    if public_id.startswith("doi:"):
        return doi_url(public_id.removeprefix("doi:"))
    if public_id.startswith("pmid:"):
        return pubmed_url(public_id.removeprefix("pmid:"))
    if public_id.startswith("openalex:"):
        return openalex_url(public_id.removeprefix("openalex:"))
    return public_id


def to_html(briefing: Briefing, radar_name: str = "", render: Callable[[str], Any] = escape) -> str:
    """The briefing as a standalone HTML page (inline styles, no external resources); `render`
    makes the HTML of its papers' text (the web's render_tex shows their TeX as MathML)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["cite"] = lambda text: cite_html(text, render=render)
    env.filters["tex"] = render
    env.globals["field_name"] = field_name
    env.globals["paper_link"] = paper_link
    return env.get_template("briefing_export.html").render(b=briefing, h=headings(briefing.lang), radar=radar_name)

"""The offline analyst: a structured briefing written from the analysis alone, no LLM needed.

Every sentence that states something about papers cites them as [n]; findings are sentences
quoted from the abstracts, so nothing is claimed that a paper does not say.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from academichub.briefing.analysis import Travel
from academichub.briefing.fields import field_name
from academichub.briefing.findings import key_finding
from academichub.briefing.model import BriefPaper, Section, Trend, citations
from academichub.i18n import gettext_for, ngettext_for

VERSION = "14"  # bump when the offline text changes: stored briefings of older text are not reused
PAPERS_PER_THEME = 4  # findings quoted per theme; the rest are cited in one closing sentence
READ_FIRST = 5

@cache
def texts(lang: str) -> dict[str, Any]:
    """The analyst's sentences in a language: English is the source, the gettext catalogue translates."""
    _ = gettext_for(lang)
    ngettext = ngettext_for(lang)
    # A count's sentence in the number it needs: "1 paper joins several fields", not "1 papers join".
    return {
        "overview": _("This briefing covers {papers} from {start} to {end}, grouped into {themes}. "
                      "The largest is “{largest}” ({size} {cites})."),
        "papers": lambda n: ngettext("{n} paper", "{n} papers", n).format(n=n),
        "themes": lambda n: ngettext("{n} theme", "{n} themes", n).format(n=n),
        "bridges": lambda n: ngettext(" {count} paper joins several fields {cites}.",
                                " {count} papers join several fields {cites}.", n),
        "rising": _(" Rising since the previous period: {terms}."),
        "shares": _("{before} → {now} of the papers"),
        "theme_head": lambda n: ngettext("{size} paper, mostly {fields}; key phrases: {phrases} {cites}.",
                                   "{size} papers, mostly {fields}; key phrases: {phrases} {cites}.", n),
        "finding": _("“{title}” finds: {sentence} [{n}]"),
        "also": _("Also in this theme: {cites}."),
        "bridge_paper": _("“{title}” joins {fields} [{n}]."),
        "theme_fields": _("The theme “{theme}” draws on {parts}."),
        "theme_part": "{field} {cites}",
        "travel": _("“{phrase}” appears in {parts}."),
        "travel_before": lambda n: ngettext(
            "“{phrase}” appears in {parts}; in the previous period it was used mainly in {field} ({count} paper).",
            "“{phrase}” appears in {parts}; in the previous period it was used mainly in {field} ({count} papers).", n),
        "read_first": "{title} [{n}] — {why}",
        "why_top": _("among the papers closest to what this radar reads (its #{rank})"),
        "why_bridge": _("bridges {fields}"),
        "why": {"author": _("by {value}, whom you follow"), "author?": _("perhaps by {value}, whom you follow"),
                "keyword": _("matches your keyword “{value}”"), "category": _("new in {value}, which you follow"),
                "venue": _("in {value}, which you follow"), "similar_to": _("closest to «{value}», a paper you keep"),
                "similar": _("on {value}, as your radar's papers are")},
        "overview_title": _("Overview"), "links_title": _("Across fields"), "read_title": _("Read first"),
        "others_title": _("Other papers"), "others": _("Papers far from every theme above: {cites}."),
        "other": _("Other"), "and": _(" and "), "list": _(", "),
    }


def cite(numbers: list[int], limit: int = 8) -> str:
    """Citation markers for paper numbers: [1][4][7]."""
    return "".join(f"[{n}]" for n in numbers[:limit])


def section(title: str, text: str, **extra) -> Section:  # type: ignore[no-untyped-def]
    """A section whose cited papers are read off its text."""
    return Section(title, text, citations(text), **extra)


def theme_title(phrases: list[str], lang: str) -> str:
    """A theme's name from its key phrases."""
    if not phrases:
        return texts(lang)["other"]
    return " · ".join(phrases[:2])


def write_others(members: list[BriefPaper], lang: str) -> Section:
    """The papers set apart from every theme, cited together."""
    t = texts(lang)
    numbers = [p.n for p in members]
    fields = Counter(f for p in members for f in p.fields[:1])
    return section(t["others_title"], t["others"].format(cites=cite(numbers, limit=40)),
                   fields=[f for f, _ in fields.most_common()], papers=numbers, weight=0.0)


def write_theme(members: list[BriefPaper], phrases: list[str], lang: str, *, name: str = "") -> Section:
    """One theme (named `name`, else by its key phrases): size, fields and phrases, then a quoted
    finding per leading paper."""
    t = texts(lang)
    fields = Counter(f for p in members for f in p.fields[:1])
    numbers = [p.n for p in members]
    lines = [t["theme_head"](len(members)).format(size=len(members), cites=cite(numbers),
                                    fields=t["and"].join(field_name(f, lang) for f, _ in fields.most_common(2)),
                                    phrases=t["list"].join(phrases) or "—")]
    for paper in members[:PAPERS_PER_THEME]:
        sentence = key_finding(paper.abstract, phrases)
        if sentence:
            lines.append(t["finding"].format(title=paper.title, sentence=sentence, n=paper.n))
    rest = numbers[PAPERS_PER_THEME:]
    if rest:
        lines.append(t["also"].format(cites=cite(rest, limit=40)))
    return section(name or theme_title(phrases, lang), "\n\n".join(lines), fields=[f for f, _ in fields.most_common()],
                   papers=numbers, phrases=phrases, weight=sum(p.score for p in members))


def write_links(papers: list[BriefPaper], themes: list[Section], travels: list[Travel], lang: str) -> list[Section]:
    """Cross-field links: bridging papers, themes drawing on several fields, phrases shared across fields."""
    t = texts(lang)
    links: list[Section] = []
    for paper in [p for p in papers if len(p.fields) > 1][:4]:
        names = t["and"].join(field_name(f, lang) for f in paper.fields[:3])
        links.append(section(names, t["bridge_paper"].format(title=paper.title, fields=names, n=paper.n),
                             fields=list(paper.fields)))
    for theme in themes:
        by_field: dict[str, list[int]] = {}
        for n in theme.papers:
            by_field.setdefault(papers[n - 1].fields[0], []).append(n)
        if len(by_field) > 1:
            parts = _fields_cited(sorted(by_field.items(), key=lambda kv: -len(kv[1])), lang)
            links.append(section(theme.title, t["theme_fields"].format(theme=theme.title, parts=parts),
                                 fields=list(by_field)))
    for travel in travels:
        parts = _fields_cited(travel.fields.items(), lang)
        if travel.before:
            field, count = max(travel.before.items(), key=lambda kv: kv[1])
            text = t["travel_before"](count).format(phrase=travel.phrase, parts=parts,
                                                    field=field_name(field, lang), count=count)
        else:
            text = t["travel"].format(phrase=travel.phrase, parts=parts)
        links.append(section(travel.phrase, text, fields=list(travel.fields)))
    return links


def _fields_cited(by_field, lang: str) -> str:  # type: ignore[no-untyped-def]
    """ "Computer science [1][4], Biology [9]": fields with the papers that stand for them."""
    t = texts(lang)
    return t["list"].join(t["theme_part"].format(field=field_name(f, lang), cites=cite(ns)) for f, ns in by_field)


def write_overview(papers: list[BriefPaper], themes: list[Section], trends: list[Trend], period: dict,
                   lang: str) -> Section:
    """The opening paragraph: size, themes, the largest theme, bridges, what is rising."""
    t = texts(lang)
    largest = max(themes, key=lambda s: len(s.papers))
    text = t["overview"].format(papers=t["papers"](len(papers)), start=period.get("from"), end=period.get("to"),
                                themes=t["themes"](len(themes)), largest=largest.title,
                                size=t["papers"](len(largest.papers)), cites=cite(largest.papers, 5))
    bridges = [p.n for p in papers if len(p.fields) > 1]
    if bridges:
        text += t["bridges"](len(bridges)).format(count=len(bridges), cites=cite(bridges, 5))
    rising = [f"{x.term} ({_change(x, t)}) {cite(x.papers)}".rstrip() for x in trends if x.rising and x.kind == "topic"][:3]
    if rising:
        text += t["rising"].format(terms=t["list"].join(rising))
    return section(t["overview_title"], text)


def _change(trend: Trend, t: dict) -> str:
    """How a topic changed: its shares of the two periods' papers (the periods differ in size)."""
    if trend.sized:
        return t["shares"].format(before=trend.share("before"), now=trend.share("now"))
    return f"{trend.before} → {trend.now}"


def _why(paper: BriefPaper, lang: str) -> str:
    """One line on why a paper is worth reading first: the radar's own reason when it has one."""
    t = texts(lang)
    if paper.bridge:
        return t["why_bridge"].format(fields=t["and"].join(field_name(f, lang) for f in paper.fields[:3]))
    if paper.why and paper.why[0] in t["why"]:
        return t["why"][paper.why[0]].format(value=paper.why[1])
    return t["why_top"].format(rank=paper.n)


def write_read_first(papers: list[BriefPaper], lang: str) -> list[Section]:
    """The papers to read first: the radar's top ranked, then a bridging paper."""
    t = texts(lang)
    chosen = [p for p in papers if not p.bridge][: READ_FIRST - 1]
    chosen += [p for p in papers if p.bridge or len(p.fields) > 1 and p not in chosen][:1]
    result = []
    for paper in chosen[:READ_FIRST]:
        why = _why(paper, lang)
        result.append(section(t["read_title"], t["read_first"].format(title=paper.title, n=paper.n, why=why)))
    return result

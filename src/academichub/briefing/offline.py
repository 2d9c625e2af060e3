"""The offline analyst: a structured briefing written from the analysis alone, no LLM needed.

Every sentence that states something about papers cites them as [n]; findings are sentences
quoted from the abstracts, so nothing is claimed that a paper does not say.
"""

from __future__ import annotations

from collections import Counter

from academichub.briefing.analysis import Travel
from academichub.briefing.fields import field_name
from academichub.briefing.findings import key_finding
from academichub.briefing.model import BriefPaper, Section, Trend, citations

VERSION = "9"  # bump when the offline text changes: stored briefings of older text are not reused
PAPERS_PER_THEME = 4  # findings quoted per theme; the rest are cited in one closing sentence
READ_FIRST = 5

TEXT = {
    "en": {
        "overview": "This briefing covers {count} papers from {start} to {end}, grouped into {themes} themes. "
                    "The largest is “{largest}” ({size} papers {cites}).",
        "bridges": " {count} papers join several fields {cites}.",
        "rising": " Rising since the previous period: {terms}.",
        "theme_head": "{size} papers, mostly {fields}; key phrases: {phrases} {cites}.",
        "finding": "“{title}” finds: {sentence} [{n}]",
        "also": "Also in this theme: {cites}.",
        "bridge_paper": "“{title}” joins {fields} [{n}].",
        "theme_fields": "The theme “{theme}” draws on {parts}.",
        "theme_part": "{field} {cites}",
        "travel": "“{phrase}” appears in {parts}",
        "travel_before": "; in the previous period it was used mainly in {field} ({count} papers)",
        "read_first": "{title} [{n}] — {why}",
        "why_top": "among the papers closest to what this radar reads (its #{rank})",
        "why_bridge": "bridges {fields}",
        "why": {"author": "by {value}, whom you follow", "author?": "perhaps by {value}, whom you follow",
                "keyword": "matches your keyword “{value}”", "category": "new in {value}, which you follow",
                "venue": "in {value}, which you follow", "similar_to": "closest to «{value}», a paper you keep",
                "similar": "on {value}, as your radar's papers are"},
        "overview_title": "Overview", "links_title": "Across fields", "read_title": "Read first",
        "others_title": "Other papers", "others": "Papers far from every theme above: {cites}.",
        "and": " and ", "list": ", ",
    },
    "zh": {
        "overview": "本简报涵盖 {start} 至 {end} 的 {count} 篇论文，分为 {themes} 个主题。"
                    "规模最大的主题是“{largest}”（{size} 篇 {cites}）。",
        "bridges": "另有 {count} 篇论文横跨多个领域 {cites}。",
        "rising": "与上一时段相比，上升的话题：{terms}。",
        "theme_head": "共 {size} 篇，主要来自{fields}；关键词：{phrases} {cites}。",
        "finding": "《{title}》发现：{sentence} [{n}]",
        "also": "本主题还包括 {cites}。",
        "bridge_paper": "《{title}》连接了{fields} [{n}]。",
        "theme_fields": "主题“{theme}”汇集了{parts}。",
        "theme_part": "{field} {cites}",
        "travel": "“{phrase}”同时出现在{parts}",
        "travel_before": "；上一时段它主要出现在{field}（{count} 篇）",
        "read_first": "{title} [{n}] — {why}",
        "why_top": "与本雷达所读内容最接近的论文之一（排名第 {rank}）",
        "why_bridge": "连接{fields}",
        "why": {"author": "来自你关注的作者 {value}", "author?": "可能来自你关注的作者 {value}",
                "keyword": "符合你的关键词“{value}”", "category": "属于你关注的分类 {value}",
                "venue": "发表于你关注的 {value}", "similar_to": "与你保存的论文《{value}》最接近",
                "similar": "涉及{value}，与本雷达的论文相近"},
        "overview_title": "概览", "links_title": "跨领域联系", "read_title": "优先阅读",
        "others_title": "其他论文", "others": "与以上主题都不相近的论文：{cites}。",
        "and": "与", "list": "、",
    },
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
        return "其他" if lang == "zh" else "Other"
    return " · ".join(phrases[:2])


def write_others(members: list[BriefPaper], lang: str) -> Section:
    """The papers set apart from every theme, cited together."""
    t = TEXT[lang]
    numbers = [p.n for p in members]
    fields = Counter(f for p in members for f in p.fields[:1])
    return section(t["others_title"], t["others"].format(cites=cite(numbers, limit=40)),
                   fields=[f for f, _ in fields.most_common()], papers=numbers, weight=0.0)


def write_theme(members: list[BriefPaper], phrases: list[str], lang: str, *, name: str = "") -> Section:
    """One theme (named `name`, else by its key phrases): size, fields and phrases, then a quoted
    finding per leading paper."""
    t = TEXT[lang]
    fields = Counter(f for p in members for f in p.fields[:1])
    numbers = [p.n for p in members]
    lines = [t["theme_head"].format(size=len(members), cites=cite(numbers),
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
    t = TEXT[lang]
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
        text = t["travel"].format(phrase=travel.phrase, parts=parts)
        if travel.before:
            field, count = max(travel.before.items(), key=lambda kv: kv[1])
            text += t["travel_before"].format(field=field_name(field, lang), count=count)
        links.append(section(travel.phrase, text + ("。" if lang == "zh" else "."), fields=list(travel.fields)))
    return links


def _fields_cited(by_field, lang: str) -> str:  # type: ignore[no-untyped-def]
    """ "Computer science [1][4], Biology [9]": fields with the papers that stand for them."""
    t = TEXT[lang]
    return t["list"].join(t["theme_part"].format(field=field_name(f, lang), cites=cite(ns)) for f, ns in by_field)


def write_overview(papers: list[BriefPaper], themes: list[Section], trends: list[Trend], period: dict,
                   lang: str) -> Section:
    """The opening paragraph: size, themes, the largest theme, bridges, what is rising."""
    t = TEXT[lang]
    largest = max(themes, key=lambda s: len(s.papers))
    text = t["overview"].format(count=len(papers), start=period.get("from"), end=period.get("to"), themes=len(themes),
                                largest=largest.title, size=len(largest.papers), cites=cite(largest.papers, 5))
    bridges = [p.n for p in papers if len(p.fields) > 1]
    if bridges:
        text += t["bridges"].format(count=len(bridges), cites=cite(bridges, 5))
    rising = [f"{x.term} ({x.before} → {x.now}) {cite(x.papers)}".rstrip() for x in trends
              if x.rising and x.kind == "topic"][:3]
    if rising:
        text += t["rising"].format(terms=t["list"].join(rising))
    return section(t["overview_title"], text)


def _why(paper: BriefPaper, lang: str) -> str:
    """One line on why a paper is worth reading first: the radar's own reason when it has one."""
    t = TEXT[lang]
    if paper.bridge:
        return t["why_bridge"].format(fields=t["and"].join(field_name(f, lang) for f in paper.fields[:3]))
    if paper.why and paper.why[0] in t["why"]:
        return t["why"][paper.why[0]].format(value=paper.why[1])
    return t["why_top"].format(rank=paper.n)


def write_read_first(papers: list[BriefPaper], lang: str) -> list[Section]:
    """The papers to read first: the radar's top ranked, then a bridging paper."""
    t = TEXT[lang]
    chosen = [p for p in papers if not p.bridge][: READ_FIRST - 1]
    chosen += [p for p in papers if p.bridge or len(p.fields) > 1 and p not in chosen][:1]
    result = []
    for paper in chosen[:READ_FIRST]:
        why = _why(paper, lang)
        result.append(section(t["read_title"], t["read_first"].format(title=paper.title, n=paper.n, why=why)))
    return result

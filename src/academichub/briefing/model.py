"""What a briefing is: numbered papers, themes, cross-field links, trends, all citing papers as [n]."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

CITATION = re.compile(r"\[(\d+(?:\s*[,–-]\s*\d+)*)\]")


@dataclass
class BriefPaper:
    """A paper of the briefing's set, numbered [n] in every text that cites it."""

    n: int
    work_id: int
    id: str
    title: str
    abstract: str
    authors: list[str]
    label: str
    date: date
    categories: list[str]
    fields: tuple[str, ...]
    score: float
    bridge: bool = False  # chosen because it spans fields, not for its rank
    why: tuple[str, str] | None = None  # the radar's first reason for it: (kind, value), e.g. ("author", "Jianxiang He")

    def to_json(self) -> dict[str, Any]:
        """The paper as the JSON form lists it."""
        return {"n": self.n, "id": self.id, "title": self.title, "authors": self.authors[:10], "source_label": self.label,
                "date": self.date.isoformat(), "fields": list(self.fields), "score": round(self.score, 4),
                "bridge": self.bridge}


@dataclass
class Section:
    """A theme, a link or the overview: text with [n] markers and the papers it cites."""

    title: str
    text: str
    cited: list[int] = field(default_factory=list)  # the n of each cited paper, in order of first citation
    fields: list[str] = field(default_factory=list)
    papers: list[int] = field(default_factory=list)  # a theme's members (n)
    phrases: list[str] = field(default_factory=list)
    weight: float = 0.0


@dataclass
class Trend:
    """A topic or category whose share of the papers changed since the previous period of the same length."""

    term: str
    kind: str  # "topic" or "category"
    now: int
    before: int
    papers: list[int] = field(default_factory=list)  # the briefing's papers (n) that carry a rising topic
    now_total: int = 0  # the papers of each period the counts are of (0: a briefing stored without them)
    before_total: int = 0

    @property
    def rising(self) -> bool:
        """A larger share of the period's papers than before. Periods differ in size (a week of a
        holiday, a harvest that grew), and the trend was found on shares: by counts alone a topic
        found rising from 113 of 450 papers to 110 of 300 was shown as falling."""
        if self.sized:
            return self.now * self.before_total > self.before * self.now_total
        return self.now > self.before

    @property
    def sized(self) -> bool:
        """Whether the sizes of both periods are known (briefings stored before they were kept lack them)."""
        return bool(self.now_total and self.before_total)

    def share(self, which: str) -> str:
        """The share of its period's papers `which` ("now" or "before") count is, as a percentage ("" unknown)."""
        count, total = (self.now, self.now_total) if which == "now" else (self.before, self.before_total)
        if not total:
            return ""
        percent = 100 * count / total
        return f"{percent:.1f}%" if percent < 10 else f"{percent:.0f}%"

    def counted(self, which: str) -> str:
        """A count with its share of the period ("113 (25%)"), as the tables show it."""
        count = self.now if which == "now" else self.before
        return f"{count} ({share})" if (share := self.share(which)) else str(count)


@dataclass
class Briefing:
    """A whole briefing of one radar over one period, in one language."""

    radar_id: int
    period: dict[str, Any]
    lang: str
    mode: str  # "offline" or "llm"
    papers: list[BriefPaper]
    overview: Section
    themes: list[Section]
    links: list[Section]
    trends: list[Trend]
    read_first: list[Section]
    note: str | None = None  # e.g. why the LLM path fell back to the offline analyst
    stats: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    created_at: str | None = None

    def paper(self, n: int) -> BriefPaper | None:
        """The paper numbered n."""
        return self.papers[n - 1] if 1 <= n <= len(self.papers) else None

    def ids_of(self, numbers: list[int]) -> list[str]:
        """Public ids of cited papers."""
        return [p.id for n in numbers if (p := self.paper(n))]

    def sections(self) -> list[tuple[str, Section]]:
        """Every section with text and its group (overview, theme, link, read), in reading order."""
        return [("overview", self.overview), *(("theme", t) for t in self.themes),
                *(("link", link) for link in self.links), *(("read", r) for r in self.read_first)]

    def to_json(self) -> dict[str, Any]:
        """The JSON form: papers, themes, links and trends, each text with its [n] markers and cited ids."""
        def section(s: Section) -> dict[str, Any]:
            return {"title": s.title, "text": s.text, "cited": s.cited, "cited_ids": self.ids_of(s.cited),
                    "fields": s.fields, "papers": s.papers, "phrases": s.phrases}
        return {"id": self.id, "radar_id": self.radar_id, "period": self.period, "lang": self.lang, "mode": self.mode,
                "created_at": self.created_at, "note": self.note, "overview": section(self.overview),
                "papers": [p.to_json() for p in self.papers], "themes": [section(t) for t in self.themes],
                "links": [section(link) for link in self.links],
                "trends": [{"term": t.term, "kind": t.kind, "now": t.now, "before": t.before,
                            "now_total": t.now_total, "before_total": t.before_total,
                            "direction": "rising" if t.rising else "falling", "papers": t.papers}
                           for t in self.trends],
                "read_first": [section(r) for r in self.read_first], "stats": self.stats}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Briefing:
        """Rebuild a stored briefing."""
        def section(d: dict[str, Any]) -> Section:
            return Section(d["title"], d["text"], d.get("cited", []), d.get("fields", []), d.get("papers", []),
                           d.get("phrases", []))
        papers = [BriefPaper(p["n"], 0, p["id"], p["title"], "", p.get("authors", []), p.get("source_label", ""),
                             date.fromisoformat(p["date"]), [], tuple(p.get("fields", ())), p.get("score", 0.0),
                             p.get("bridge", False)) for p in data["papers"]]
        return cls(data["radar_id"], data["period"], data["lang"], data["mode"], papers, section(data["overview"]),
                   [section(t) for t in data["themes"]], [section(link) for link in data["links"]],
                   [Trend(t["term"], t["kind"], t["now"], t["before"], t.get("papers", []), t.get("now_total", 0),
                          t.get("before_total", 0)) for t in data["trends"]],
                   [section(r) for r in data.get("read_first", [])], data.get("note"), data.get("stats", {}),
                   data.get("id"), data.get("created_at"))


def from_stored(stored: Any) -> Briefing:
    """A briefing kept in the store (its row's id and time joined to its JSON form)."""
    return Briefing.from_json({**stored.content, "id": stored.id, "created_at": stored.created_at.isoformat()})


def citations(text: str) -> list[int]:
    """Every paper number cited in a text, in order of first citation ([3], [1, 4], [2–5])."""
    found: list[int] = []
    for group in CITATION.findall(text):
        for part in re.split(r"\s*,\s*", group):
            bounds = re.split(r"\s*[–-]\s*", part)
            numbers = range(int(bounds[0]), int(bounds[-1]) + 1) if len(bounds) == 2 and \
                int(bounds[-1]) - int(bounds[0]) < 50 else [int(b) for b in bounds]
            found += [n for n in numbers if n not in found]
    return found


__all__ = ["CITATION", "BriefPaper", "Briefing", "Section", "Trend", "asdict", "citations", "from_stored"]

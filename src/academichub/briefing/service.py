"""Building a briefing: select, cluster, analyse, write (offline or by LLM), keep — as a stream of events.

`events()` yields ("papers", …), one ("section", …) per finished section, then ("done", briefing),
so the web page can show sections as they are written; `build()` just runs it to the end.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from academichub.briefing import analysis, offline
from academichub.briefing.llm import (
    PROMPT_VERSION,
    LlmAnalyst,
    LlmFailure,
    synthesis_messages,
    theme_batches,
    theme_messages,
)
from academichub.briefing.model import Briefing, BriefPaper, Section, from_stored
from academichub.briefing.selection import resolve_period, select
from academichub.briefing.themes import (
    OUTLIER,
    cluster,
    cohesion,
    key_phrases,
    prose,
    set_apart,
    text_vectors,
    theme_names,
)
from academichub.embedding.base import normalise
from academichub.embedding.stored import try_vectors_for
from academichub.errors import InputError, NotFoundError
from academichub.i18n import gettext_for
from academichub.model.accounts import Radar
from academichub.radar.feed import FeedService
from academichub.settings import Settings
from academichub.storage.briefings import BriefingSchedule, StoredBriefing

log = logging.getLogger(__name__)
LANGS = ("zh", "en")
MIN_FOR_OUTLIERS = 12  # below this many papers every paper stays in a theme


@dataclass
class Request:
    """What to brief: a radar, a period, a language, and whether an LLM writes the prose."""

    radar: Radar
    period: str = "day"
    lang: str = "zh"
    llm: bool = False


class BriefingService:
    """Makes, keeps and lists briefings."""

    def __init__(self, settings: Settings, feed: FeedService, *, http_client: Any = None) -> None:
        self.settings = settings
        self.feed = feed
        self.store = feed.store
        self.http_client = http_client  # a transport seam for tests; None in production

    def build(self, request: Request) -> Briefing:
        """A whole briefing (reused when its inputs are unchanged)."""
        result = None
        for kind, payload in self.events(request):
            if kind == "done":
                result = payload
        assert result is not None
        return result

    def events(self, request: Request) -> Iterator[tuple[str, Any]]:
        """The briefing as it is made: papers, then each section, then the kept briefing."""
        if request.lang not in LANGS:
            raise InputError(f"brief: unknown language {request.lang!r}; use zh or en", problem="brief-language")
        if request.llm and not self.settings.llm.configured:
            raise InputError("brief: --llm needs an endpoint: set ACADEMICHUB_LLM_BASE_URL and ACADEMICHUB_LLM_MODEL "
                             "(or llm.base_url and llm.model in the settings file)", problem="brief-llm")
        started = time.perf_counter()
        period = resolve_period(self.feed, request.period)
        papers = select(self.feed, request.radar, period, top=self.settings.briefing.papers,
                        bridges=self.settings.briefing.bridges)
        if not papers:
            raise InputError(f"brief: no papers between {period.start} and {period.end} for this radar",
                             problem="brief-empty")
        mode = "llm" if request.llm else "offline"
        digest = self._input_hash(papers, request, mode)
        cached = self.store.briefings.by_hash(request.radar.id, digest)
        if cached is not None:
            briefing = from_stored(cached)
            yield "papers", briefing.papers
            yield from (("section", item) for item in briefing.sections())
            yield "done", briefing
            return
        yield "papers", papers
        draft = self._offline(papers, period, request.lang)
        draft.radar_id = request.radar.id
        if request.llm:
            draft = yield from self._with_llm(draft, papers, request.lang)
        else:
            yield from (("section", item) for item in draft.sections())
        draft.stats.update(papers=len(papers), themes=len(draft.themes), seconds=round(time.perf_counter() - started, 3))
        stored = self.store.briefings.save(
            request.radar.user_id, request.radar.id, period=draft.period["spec"], start=period.start, end=period.end,
            lang=request.lang, mode=draft.mode, input_hash=digest, content=draft.to_json())
        draft.id, draft.created_at = stored.id, stored.created_at.isoformat()
        yield "done", draft

    def _input_hash(self, papers: list[BriefPaper], request: Request, mode: str) -> str:
        llm = self.settings.llm
        key = {"papers": [(p.id, hashlib.sha1(f"{p.title}{p.abstract}".encode()).hexdigest()[:12]) for p in papers],
               "lang": request.lang, "mode": mode, "period": request.period, "v": (PROMPT_VERSION, offline.VERSION),
               "llm": [llm.base_url, llm.model, llm.temperature, llm.max_output_tokens] if mode == "llm" else None}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()

    def _offline(self, papers: list[BriefPaper], period, lang: str) -> Briefing:  # type: ignore[no-untyped-def]
        """The offline analyst's briefing (also the LLM path's facts and fallback)."""
        titles, abstracts = [prose(p.title) for p in papers], [prose(p.abstract) for p in papers]
        texts = [f"{t}. {a}" for t, a in zip(titles, abstracts, strict=True)]
        embedder = self.feed.embedder
        vectors = try_vectors_for(self.store, embedder, [p.work_id for p in papers]) if embedder else None
        meaning = vectors if vectors is not None and np.any(vectors) else None
        words = text_vectors(texts)
        # Clustered on meaning and words together: on the sample either alone made looser themes
        # in the other's space (README, "Briefings").
        joint = words if meaning is None else np.hstack([normalise(meaning), words])
        labels = set_apart(joint, cluster(joint)) if len(papers) >= MIN_FOR_OUTLIERS else cluster(joint)
        phrases = key_phrases(texts, labels)
        embed = (lambda items: np.asarray(embedder.embed(items), dtype=np.float32)) if embedder else None
        names = theme_names(titles, abstracts, labels, embed=embed)
        themes = []
        for label in sorted({int(k) for k in labels} - {OUTLIER}):
            members = [p for p, k in zip(papers, labels, strict=True) if k == label]
            themes.append(offline.write_theme(members, phrases.get(label, []), lang, name=names.get(label, "")))
        themes.sort(key=lambda t: -t.weight)
        others = [p for p, k in zip(papers, labels, strict=True) if k == OUTLIER]
        if others:  # far from every theme: listed together last rather than diluting one
            themes.append(offline.write_others(others, lang))
        travels = analysis.travelling(papers, [p for t in themes for p in t.phrases], self.store, period)
        trends = analysis.trends(self.store, period, {p.categories[0] for p in papers if p.categories}, papers=papers)
        period_json = {"spec": period.spec, "from": period.start.isoformat() if period.start else None,
                       "to": period.end.isoformat() if period.end else None}
        return Briefing(
            radar_id=0, period=period_json, lang=lang, mode="offline", papers=papers,
            overview=offline.write_overview(papers, themes, trends, period_json, lang), themes=themes,
            links=offline.write_links(papers, themes, travels, lang), trends=trends,
            read_first=offline.write_read_first(papers, lang), stats={"themes_cohesion": {
                "words": cohesion(words, labels), **({"meaning": cohesion(meaning, labels)} if meaning is not None else {})}})

    def _with_llm(self, draft: Briefing, papers: list[BriefPaper], lang: str):  # type: ignore[no-untyped-def]
        """Replace the draft's prose with the LLM's, section by section; fall back to the draft on failure."""
        analyst = LlmAnalyst(self.settings.llm, http_client=self.http_client)
        gettext = gettext_for(lang)
        written: list[Section] = []
        try:
            for theme in draft.themes:
                members = [papers[n - 1] for n in theme.papers]
                batches = theme_batches(members, self.settings.llm)
                # The first call also names the theme in the briefing's language (the offline name stays
                # when the reply's is unusable); the others only write.
                name, first = analyst.named(theme_messages(theme, batches[0], lang, self.settings.llm, name=True),
                                            {p.n for p in batches[0]})
                notes = [first] + [analyst.grounded(theme_messages(theme, batch, lang, self.settings.llm),
                                                    {p.n for p in batch}) for batch in batches[1:]]
                text = ("" if lang == "zh" else " ").join(notes)
                section = offline.section(name or theme.title, text, fields=theme.fields, papers=theme.papers,
                                          phrases=theme.phrases, weight=theme.weight)
                written.append(section)
                yield "section", ("theme", section)
            trend_text = "; ".join(f"{t.term} {t.counted('before')}→{t.counted('now')} ({'rising' if t.rising else 'falling'})"
                                   for t in draft.trends)
            reply = analyst.grounded(synthesis_messages(written, draft.links, trend_text, papers, lang, self.settings.llm),
                                     {p.n for p in papers})
        except LlmFailure as exc:
            log.warning("briefing falls back to the offline analyst: %s", exc)
            draft.note = gettext("The LLM could not write this briefing ({reason}); this is the offline analysis."
                                 ).format(reason=str(exc).removeprefix("llm: "))
            draft.stats["llm"] = analyst.usage.to_json(self.settings.llm)
            yield "note", draft.note
            yield from (("section", item) for item in draft.sections())
            return draft
        overview_text, _, links_text = reply.partition("###")
        draft.mode, draft.themes = "llm", written
        draft.overview = offline.section(draft.overview.title, overview_text.strip() or draft.overview.text)
        if links_text.strip():
            title = gettext("Across fields")
            draft.links = [offline.section(title, links_text.strip()), *draft.links]
        if analyst.usage.dropped_sentences:
            draft.note = gettext("{count} sentences citing papers outside this set, or citing none, were removed."
                                 ).format(count=analyst.usage.dropped_sentences)
        draft.stats["llm"] = analyst.usage.to_json(self.settings.llm)
        yield from (("section", item) for item in draft.sections() if item[0] != "theme")
        return draft

    def plan(self, request: Request) -> dict[str, Any]:
        """What the LLM path would send for this request: calls and estimated input tokens (no call made)."""
        from academichub.briefing.llm import estimate_tokens
        period = resolve_period(self.feed, request.period)
        papers = select(self.feed, request.radar, period, top=self.settings.briefing.papers,
                        bridges=self.settings.briefing.bridges)
        draft = self._offline(papers, period, request.lang)
        messages = [theme_messages(t, batch, request.lang, self.settings.llm) for t in draft.themes
                    for batch in theme_batches([papers[n - 1] for n in t.papers], self.settings.llm)]
        # The synthesis call reads the theme notes: counted at the offline notes' length.
        messages.append(synthesis_messages(draft.themes, draft.links, "", papers, request.lang, self.settings.llm))
        tokens = [sum(estimate_tokens(m["content"]) for m in call) for call in messages]
        return {"papers": len(papers), "themes": len(draft.themes), "calls": len(messages),
                "input_tokens": sum(tokens), "largest_call_tokens": max(tokens), "call_tokens": tokens,
                "output_tokens_max": len(messages) * self.settings.llm.max_output_tokens}

    # -- kept briefings and daily schedules (what web and CLI list, open and switch) ------------------

    def kept(self, user_id: int, *, limit: int = 50, offset: int = 0) -> list[StoredBriefing]:
        """The reader's past briefings, newest first."""
        return self.store.briefings.list(user_id, limit=limit, offset=offset)

    def kept_count(self, user_id: int) -> int:
        """How many briefings the reader has kept."""
        return self.store.briefings.count(user_id)

    def kept_one(self, user_id: int, briefing_id: int) -> StoredBriefing:
        """One of the reader's briefings (another reader's is not found)."""
        stored = self.store.briefings.get(user_id, briefing_id)
        if stored is None:
            raise NotFoundError(f"briefings: no briefing {briefing_id}")
        return stored

    def schedule(self, radar_id: int) -> BriefingSchedule | None:
        """A radar's daily-briefing wish, if it has one."""
        return next((s for s in self.store.briefings.schedules() if s.radar_id == radar_id), None)

    def set_schedule(self, radar_id: int, *, lang: str, llm: bool = False) -> None:
        """A briefing of the radar after every announcement day, in zh or en."""
        if lang not in LANGS:
            raise InputError(f"briefings: unknown language {lang!r}; use zh or en")
        self.store.briefings.set_schedule(radar_id, lang=lang, llm=llm)

    def clear_schedule(self, radar_id: int) -> bool:
        """No more daily briefings of the radar; whether it had them."""
        return self.store.briefings.clear_schedule(radar_id)

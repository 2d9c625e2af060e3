"""Which papers a briefing covers: the radar's top papers of the period, plus papers that bridge fields."""

from __future__ import annotations

from academichub.briefing.fields import fields_of
from academichub.briefing.model import BriefPaper
from academichub.radar import periods
from academichub.radar.feed import FeedService
from academichub.storage.accounts import Radar

POOL_FACTOR = 3  # ranked candidates looked at per selected paper when looking for bridges


def resolve_period(feed: FeedService, spec: str | None) -> periods.Period:
    """A briefing period: day (the newest announcement day), week, or FROM..TO, anchored on the store."""
    spec = (spec or "day").strip().lower()
    checked = periods.check_spec("latest" if spec == "day" else spec)
    period = periods.resolve(checked, feed.store.works, recent_days=feed.settings.recent_days)
    return periods.Period(spec if spec == "day" else period.spec, period.start, period.end)


def select(feed: FeedService, radar: Radar, period: periods.Period, *, top: int, bridges: int) -> list[BriefPaper]:
    """The radar's `top` papers of the period by its own ranking, then up to `bridges` cross-field papers."""
    if not feed.store.works.ids_in_window(period.start, period.end):
        return []
    ranked = feed.ranked(radar, period, set(), top * POOL_FACTOR, keep_liked=True)
    works = {w.id: w for w in feed.store.works.get_many([r.work_id for r in ranked])}

    def fields(work_id: int) -> tuple[str, ...]:
        work = works[work_id]
        server = next((s for s in work.sources if s in ("biorxiv", "medrxiv")), None)
        return fields_of(work.paper.categories, work.paper.venue, server)

    chosen = [(r, False) for r in ranked[:top] if r.work_id in works]
    spare = [r for r in ranked[top:] if r.work_id in works and len(fields(r.work_id)) > 1]
    chosen += [(r, True) for r in spare[:bridges]]
    papers = []
    for n, (r, bridge) in enumerate(chosen, start=1):
        work = works[r.work_id]
        paper = work.paper
        papers.append(BriefPaper(n, work.id, work.public_id, paper.title, paper.abstract,
                                 [a.name for a in paper.authors], work.label, work.feed_date,
                                 list(paper.categories), fields(work.id), r.score, bridge))
    return papers

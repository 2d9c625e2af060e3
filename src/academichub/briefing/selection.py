"""Which papers a briefing covers: the radar's top papers of the period, plus papers that bridge fields."""

from __future__ import annotations

from collections import Counter
from datetime import date

from academichub.briefing.fields import fields_of
from academichub.briefing.model import BriefPaper
from academichub.model.accounts import Radar
from academichub.radar import periods
from academichub.radar.feed import FeedService
from academichub.ranking.ranker import Ranked

POOL_FACTOR = 3  # ranked candidates looked at per selected paper and day (the days' shares, bridges)


def resolve_period(feed: FeedService, spec: str | None) -> periods.Period:
    """A briefing period: day (the newest announcement day), week, or FROM..TO, anchored on the store."""
    spec = (spec or "day").strip().lower()
    checked = periods.check_spec("latest" if spec == "day" else spec)
    period = periods.resolve(checked, feed.store.works, recent_days=feed.settings.recent_days)
    return periods.Period(spec if spec == "day" else period.spec, period.start, period.end)


def select(feed: FeedService, radar: Radar, period: periods.Period, *, top: int, bridges: int) -> list[BriefPaper]:
    """The radar's `top` papers of the period by its own ranking, then up to `bridges` cross-field papers."""
    _ids, days = feed.store.works.window(period.start, period.end)
    if not len(days):
        return []
    day_sizes = Counter(date.fromordinal(int(d)) for d in days)
    ranked = feed.ranked(radar, period, set(), top * POOL_FACTOR * len(day_sizes), keep_liked=True)
    leading = spread_over_days(ranked, top, day_sizes)
    led = {r.work_id for r in leading}
    ranked = leading + [r for r in ranked if r.work_id not in led]
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
        why = next(((reason.kind, reason.value) for reason in r.reasons), None)
        papers.append(BriefPaper(n, work.id, work.public_id, paper.title, paper.abstract,
                                 [a.name for a in paper.authors], work.label, work.feed_date,
                                 list(paper.categories), fields(work.id), r.score, bridge, why))
    return papers


def spread_over_days(ranked: list[Ranked], top: int, day_sizes: Counter[date]) -> list[Ranked]:
    """The `top` best papers with each day of the period given a share in proportion to its papers
    (largest remainders), so a week is not its last day again; a day with too few candidates leaves
    its share to the best of the others. Kept in rank order."""
    total = sum(day_sizes.values())
    quotas = {day: top * count / total for day, count in day_sizes.items()}
    shares = {day: int(q) for day, q in quotas.items()}
    # Largest remainders first; on a tie the larger day (then the later one) rounds up.
    for day in sorted(quotas, key=lambda d: (shares[d] - quotas[d], -day_sizes[d], -d.toordinal()))[
            : top - sum(shares.values())]:
        shares[day] += 1
    taken: Counter[date] = Counter()
    chosen: set[int] = set()
    for r in ranked:
        if taken[r.feed_date] < shares.get(r.feed_date, 0):
            taken[r.feed_date] += 1
            chosen.add(r.work_id)
    for r in ranked:  # shares a day could not fill go to the best remaining papers
        if len(chosen) >= top:
            break
        chosen.add(r.work_id)
    return [r for r in ranked if r.work_id in chosen]

"""What a digest says: a radar's top papers of the period with their reasons, and the briefing's gist."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from academichub.briefing.service import BriefingService, Request
from academichub.errors import AcademicHubError
from academichub.i18n import gettext_for
from academichub.model.accounts import Radar
from academichub.present.feed import reason_text
from academichub.present.links import paper_path
from academichub.present.names import radar_title
from academichub.present.render import plain_text
from academichub.radar import periods
from academichub.radar.feed import FeedService
from academichub.ranking.reasons import Reason

TITLES = {"zh": "AcademicHub 每日雷达 · {radar} · {day}", "en": "AcademicHub daily radar · {radar} · {day}"}
WEEKLY = {"zh": "AcademicHub 每周雷达 · {radar} · {day}", "en": "AcademicHub weekly radar · {radar} · {day}"}


@dataclass
class DigestItem:
    """One paper of a digest."""

    n: int
    title: str
    url: str
    label: str
    date: str
    authors: str
    reasons: list[str]


@dataclass
class Digest:
    """A digest of one radar for one period, in one language."""

    title: str
    radar: str
    lang: str
    period: dict
    items: list[DigestItem]
    overview: str = ""
    themes: list[str] = field(default_factory=list)
    briefing_url: str = ""
    feed_url: str = ""

    @property
    def anchor(self) -> str | None:
        """The newest day the digest covers."""
        return self.period.get("to")


def _as_text(reason: Reason) -> Reason:
    """A reason as mail and chat show it: a paper's title in it typeset as text ("similar to «… H₀ …»")."""
    return replace(reason, value=plain_text(reason.value)) if reason.kind == "similar_to" else reason


def build_digest(feed: FeedService, briefings: BriefingService | None, radar: Radar, *, cadence: str, lang: str,
                 papers: int, base_url: str) -> Digest:
    """The digest of a radar: the period's best papers (nothing is marked seen) and, if asked, the briefing."""
    spec = "latest" if cadence == "daily" else "week"
    period = periods.resolve(spec, feed.store.works, recent_days=feed.settings.recent_days)
    ranked = feed.ranked(radar, period, set(), papers)
    works = {w.id: w for w in feed.store.works.get_many([r.work_id for r in ranked])}
    _ = gettext_for(lang)
    items = []
    for n, r in enumerate((r for r in ranked if r.work_id in works), start=1):
        work = works[r.work_id]
        names = [a.name for a in work.paper.authors]
        # Mail and chat show text, not MathML: the title's TeX as Unicode ("SO$_2$" is SO₂).
        items.append(DigestItem(n, plain_text(work.paper.title), f"{base_url}{paper_path(work.public_id)}", work.label,
                                work.feed_date.isoformat(), ", ".join(names[:6]) + (" et al." if len(names) > 6 else ""),
                                [reason_text(_as_text(reason), _) for reason in r.reasons]))
    day = period.end.isoformat() if period.end else ""
    name = radar_title(radar, lang)
    digest = Digest((TITLES if cadence == "daily" else WEEKLY)[lang].format(radar=name, day=day), name, lang,
                    period.to_json(), items, feed_url=f"{base_url}/?radar={radar.id}")
    if briefings is not None and items:
        try:
            briefing = briefings.build(Request(radar, "day" if cadence == "daily" else "week", lang))
        except AcademicHubError:  # a digest without its briefing is still worth sending
            return digest
        digest.overview = briefing.overview.text
        digest.themes = [t.title for t in briefing.themes]
        digest.briefing_url = f"{base_url}/briefings/{briefing.id}"
    return digest

"""Fields of science from categories and venues, so a briefing can say which fields a paper joins."""

from __future__ import annotations

# arXiv archives (and bioRxiv/medRxiv servers) grouped into the fields a reader thinks in.
_ARCHIVE_FIELD = {
    "cs": "cs", "stat": "stat", "math": "math", "eess": "eess", "econ": "econ", "q-fin": "q-fin", "q-bio": "bio",
    "astro-ph": "astro", "gr-qc": "physics", "hep-ph": "physics", "hep-th": "physics", "hep-ex": "physics",
    "hep-lat": "physics", "nucl-th": "physics", "nucl-ex": "physics", "quant-ph": "quantum",
    "cond-mat": "matter", "physics": "physics", "nlin": "physics", "math-ph": "physics",
}
FIELD_NAMES = {
    "cs": ("Computer science", "计算机科学"), "stat": ("Statistics", "统计学"), "math": ("Mathematics", "数学"),
    "eess": ("Electrical engineering", "电子工程"), "econ": ("Economics", "经济学"), "q-fin": ("Finance", "金融"),
    "bio": ("Biology", "生物学"), "med": ("Medicine", "医学"), "astro": ("Astrophysics", "天体物理"),
    "physics": ("Physics", "物理学"), "quantum": ("Quantum physics", "量子物理"),
    "matter": ("Condensed matter", "凝聚态物理"), "chem": ("Chemistry", "化学"), "other": ("Other", "其他"),
}
# Journal names that say their field (a venue without categories otherwise counts as "other").
_VENUE_WORDS = (("medic", "med"), ("clinic", "med"), ("lancet", "med"), ("jama", "med"), ("cell", "bio"),
                ("biolog", "bio"), ("genom", "bio"), ("neuro", "bio"), ("chem", "chem"), ("physic", "physics"),
                ("astro", "astro"), ("comput", "cs"), ("mathemat", "math"), ("statist", "stat"))


def field_of_category(category: str) -> str:
    """The field of one category code (cs.LG → cs, astro-ph.GA → astro, a bioRxiv subject → bio)."""
    archive = category.split(".", 1)[0].lower()
    if archive in _ARCHIVE_FIELD:
        return _ARCHIVE_FIELD[archive]
    # bioRxiv and medRxiv subjects are plain lower-case words ("neuroscience", "epidemiology").
    return "bio" if category and category.replace(" ", "").replace("-", "").isalpha() and category.islower() \
        else "other"


def fields_of(categories: tuple[str, ...] | list[str], venue: str | None = None, server: str | None = None) -> tuple[str, ...]:
    """The distinct fields of a paper, its primary category's first."""
    if server in ("biorxiv", "medrxiv"):
        return ("med",) if server == "medrxiv" else ("bio",)
    found: list[str] = []
    for category in categories:
        field = field_of_category(category)
        if field not in found:
            found.append(field)
    if not found and venue:
        lowered = venue.lower()
        found = [next((field for word, field in _VENUE_WORDS if word in lowered), "other")]
    return tuple(found) or ("other",)


def field_name(field: str, lang: str) -> str:
    """A field's name in the briefing's language."""
    en, zh = FIELD_NAMES.get(field, (field, field))
    return zh if lang == "zh" else en

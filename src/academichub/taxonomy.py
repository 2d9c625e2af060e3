"""arXiv's category taxonomy: its archives and the subject classes one can submit to today.

Data, not logic: the active categories of arXiv's own taxonomy (https://arxiv.org/category_taxonomy,
the `CATEGORIES` of arxiv-base's `arxiv/taxonomy/definitions.py`, read 2026-12-07), aliases
included (cs.NA = math.NA, math.IT = cs.IT, stat.TH = math.ST ...). A subject outside it ("cs.ML")
is a typo that would match nothing.
"""

from __future__ import annotations

# Subject classes of each archive; an archive without any (hep-th) is a category by itself.
_SUBJECTS = {
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH OS PF PL RO "
          "SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "gr-qc": "",
    "hep-ex": "",
    "hep-lat": "",
    "hep-ph": "",
    "hep-th": "",
    "math-ph": "",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST",
    "nlin": "AO CD CG PS SI",
    "nucl-ex": "",
    "nucl-th": "",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn gen-ph "
               "geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "quant-ph": "",
    "stat": "AP CO ME ML OT TH",
}

# arXiv's archives (its taxonomy's first part): "astroph.GA" is a typo of astro-ph.GA, not a new archive.
ARXIV_ARCHIVES = frozenset(_SUBJECTS)
# Every category in arXiv's spelling: the archives (following one follows its subjects) and archive.subject.
ARXIV_CATEGORIES = frozenset([*_SUBJECTS, *(f"{a}.{s}" for a, subjects in _SUBJECTS.items() for s in subjects.split())])

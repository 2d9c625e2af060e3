"""Key findings: the sentence of an abstract that states what the paper found or achieved.

A sentence is scored on cue phrases of results ("we find", "results show"), comparison and
achievement verbs ("outperforms", "improves … by"), numbers with units or percentages, and its
position (results come late), against cues of background, method and housekeeping ("we propose",
"however, existing …", "code is available"). It is a finding when the score reaches
FINDING_THRESHOLD: on 213 sentences of 25 sample abstracts labelled by hand
(`tests/data/findings/labelled_sentences.jsonl`) the classifier's precision is measured in
`tests/test_briefing.py` and stated in the README.
"""

from __future__ import annotations

import re

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
_NOT_AN_END = re.compile(r"\b(?:e\.g|i\.e|et al|Fig|Eq|vs|cf|resp|approx|Ref|Sec|U\.S)\.$", re.IGNORECASE)


def _cue(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_RESULT = _cue(r"\b(?:we (?:also |further |then )?(?:find|found|show|showed|demonstrate|observe|reveal|prove|"
               r"establish|confirm|detect|conclude)\b|"
               r"(?:results?|experiments?|evaluations?|findings|analys[ie]s|tests?|simulations?|observations?) "
               r"(?:\w+ )?(?:show|shows|demonstrate|demonstrates|indicate|indicates|reveal|reveals|suggest|suggests|"
               r"confirm|confirms)|"
               r"(?:is|are|was|were) found to|(?:this|which) (?:shows|reveals|suggests|indicates)|key findings|"
               r"(?:demonstrat|show)(?:es|ing|ed)? that|(?:we|is|are) able to)")
_COMPARISON = _cue(r"\b(?:outperform\w*|surpass\w*|exceed\w*|improv\w* (?:by|over|upon|on)|boost\w*|"
                   r"achiev\w* (?:a |an )?(?:\w+ )?(?:improvement|accuracy|state-of-the-art|sota|results|performance|"
                   r"recall|speed|\d)|reduc\w* .{0,60}(?:by|from)|increas\w* .{0,60}by|speed-?up|"
                   r"(?:higher|lower|better|faster|larger|smaller) than|compared (?:to|with)|relative to|"
                   r"state-of-the-art (?:performance|results)|consistent with|correspond\w* to|span\w*|"
                   r"more (?:energetic|asymmetric|dependent)|align\w* with|in line with|agree\w* (?:\w+ )?with|"
                   r"discrepanc\w*|tensions?)\b")
# (?<!\d): a number is tried from its first digit only; from each digit, 4,000 digits took 4.7 s.
_NUMBER_WITH_UNIT = _cue(r"(?<!\d)\d+(?:\.\d+)?\s*(?:\\?%|×|x\b|times|-fold|σ|sigma|dex|m?IoU|FPS|km/s|erg|M_?\\?odot|"
                         r"Msun|kpc|days?|minutes?|percent|\$?\\times)|\\pm|±|=\s*\$?-?\d")
_BACKGROUND = _cue(r"\b(?:we (?:propose|introduce|present|develop|design|construct|build|adopt|employ|describe|"
                   r"elaborate|give|review|explore|investigate|examine|study|compare|evaluate|test|apply|"
                   r"generate|estimate|measure|revise|conduct|analy[sz]e)|"
                   r"to (?:address|tackle|overcome|bridge|solve)|in this (?:paper|work|article|study|contribution)|"
                   r"this (?:paper|work|study|article|research) (?:aims|examines|presents|proposes|introduces|"
                   r"investigates|shares|presents)|however|existing|remains?|challenges?|remains? challenging|"
                   r"(?:has|have) (?:\w+ )?(?:been|emerged|shown|revealed|demonstrated|driven|proven|achieved)|"
                   r"aims? to|we hope|"
                   r"future|will be|will describe|is (?:a|an) (?:\w+ )?(?:task|problem|tool)|our key insight)\b")
_HOUSEKEEPING = _cue(r"https?://|github|\b(?:code|data|dataset|models?|products?)\b.{0,40}\b(?:is|are|will be) "
                     r"(?:publicly |freely )?(?:available|released)|\bproject page\b|\baccepted (?:at|to|by)\b")
FINDING_THRESHOLD = 2.0
MAX_CHARS = 320  # a finding longer than this is not quoted (a quote is never cut)


def sentences(abstract: str) -> list[str]:
    """An abstract's sentences (abbreviations such as "e.g." and "et al." do not end one)."""
    parts: list[str] = []
    for piece in _SPLIT.split(" ".join(abstract.split())):
        if parts and _NOT_AN_END.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return [p.strip() for p in parts if len(p.strip()) > 20]


def finding_score(sentence: str, position: int, count: int) -> float:
    """How strongly a sentence (the `position`-th of `count`, from 0) reads as a result."""
    result = bool(_RESULT.search(sentence))
    score = 3.0 * result + 1.5 * bool(_COMPARISON.search(sentence)) + 1.5 * bool(_NUMBER_WITH_UNIT.search(sentence))
    # "We compare A with B and find that …" states a result despite its method verb.
    score -= 2.0 * (bool(_BACKGROUND.search(sentence)) and not result) + 5.0 * bool(_HOUSEKEEPING.search(sentence))
    relative = position / max(1, count - 1)
    return score + (0.75 if relative >= 0.5 else 0.0) - (1.0 if position == 0 else 0.0)


def is_finding(sentence: str, position: int, count: int) -> bool:
    """Whether a sentence states a result rather than background, method or housekeeping."""
    return finding_score(sentence, position, count) >= FINDING_THRESHOLD


def key_finding(abstract: str, phrases: list[str] = ()) -> str:  # type: ignore[assignment]
    """The abstract's strongest finding (the theme's phrases break ties), whole; "" when it states none."""
    found = sentences(abstract)
    lowered = [p.lower() for p in phrases]
    scored = [(finding_score(s, i, len(found)), i, s) for i, s in enumerate(found)]
    candidates = [(score + 0.25 * sum(1 for p in lowered if p in s.lower()), i, s) for score, i, s in scored
                  if score >= FINDING_THRESHOLD and len(s) <= MAX_CHARS]
    return max(candidates)[2] if candidates else ""

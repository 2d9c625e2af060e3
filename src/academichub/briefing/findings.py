"""Key findings: the sentence of an abstract that states what the paper found or achieved."""

from __future__ import annotations

import re

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
_NOT_AN_END = re.compile(r"\b(?:e\.g|i\.e|et al|Fig|Eq|vs|cf|resp|approx|Ref|Sec)\.$", re.IGNORECASE)
_CUES = (
    (re.compile(r"\b(?:we (?:find|found|show|showed|demonstrate|observe|report|obtain|reveal|prove|establish)|"
                r"(?:results|experiments|evaluations?) (?:show|demonstrate|indicate|reveal|suggest)|"
                r"(?:this|which) (?:shows|reveals|suggests|indicates))\b", re.IGNORECASE), 3.0),
    (re.compile(r"\b(?:outperform\w*|surpass\w*|improv\w* (?:by|over|upon)|state-of-the-art|achiev\w*|"
                r"reduc\w* .{0,40}by|speed-?up|accuracy|significant\w*|detect\w*|measur\w*|constrain\w*)\b",
                re.IGNORECASE), 1.5),
    (re.compile(r"\d+(?:\.\d+)?\s*(?:%|×|x\b|times|σ|sigma|-fold)", re.IGNORECASE), 1.5),
    (re.compile(r"\b(?:we (?:propose|introduce|present|develop))\b", re.IGNORECASE), 1.0),
)
MAX_CHARS = 320
_HOUSEKEEPING = re.compile(r"https?://|github|\b(?:code|data|dataset|models?) (?:is|are|will be) (?:publicly )?"
                           r"(?:available|released)|\bproject page\b|\baccepted (?:at|to|by)\b", re.IGNORECASE)


def sentences(abstract: str) -> list[str]:
    """An abstract's sentences (abbreviations such as "e.g." and "et al." do not end one)."""
    parts: list[str] = []
    for piece in _SPLIT.split(" ".join(abstract.split())):
        if parts and _NOT_AN_END.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return [p.strip() for p in parts if len(p.strip()) > 20]


def key_finding(abstract: str, phrases: list[str] = ()) -> str:  # type: ignore[assignment]
    """The sentence with the strongest finding cues (later sentences win ties: results come last)."""
    found = sentences(abstract)
    if not found:
        return ""
    lowered = [p.lower() for p in phrases]

    def score(item: tuple[int, str]) -> float:
        position, sentence = item
        cue = sum(weight for pattern, weight in _CUES if pattern.search(sentence))
        topical = 0.5 * sum(1 for p in lowered if p in sentence.lower())
        housekeeping = 4.0 if _HOUSEKEEPING.search(sentence) else 0.0  # "code is available at …" is no finding
        return cue + topical + 0.3 * position / len(found) - (1.0 if len(sentence) > MAX_CHARS * 1.5 else 0.0) \
            - housekeeping

    best = max(enumerate(found), key=score)[1]
    return best if len(best) <= MAX_CHARS else best[: MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"

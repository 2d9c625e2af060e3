"""Following and unfollowing authors, keywords, categories and venues on a radar."""

from __future__ import annotations

import difflib
import re

from academichub.errors import InputError
from academichub.keys import NAME_SUFFIXES, arxiv_spelling, clean_line, given_first, name_key, venue_key
from academichub.model.accounts import Subscription
from academichub.search.query import parse
from academichub.storage.store import Store
from academichub.taxonomy import ARXIV_CATEGORIES

KINDS: tuple[str, ...] = ("author", "keyword", "category", "venue")
MAX_VALUE = 200
# Chips one radar may hold: 2,345 keywords made its first 换一批 after a change take 16 s on the
# 4,223-paper sample (each is a full-text query and an exact check of its hits); 200 of common
# words take 0.8 s there and 2.8 s on the 51,698-paper corpus (measured through the API).
MAX_SUBSCRIPTIONS = 200
SUGGESTIONS = 3
_WORD = re.compile(r"[^\s()\"]+")  # a keyword's plain words, without the brackets and quotes that broke it


# Words a family name may begin with: "van der Waals, Johannes" is one name written family first.
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "di", "da", "du", "del", "della", "dos", "das", "le", "la",
                        "ter", "ten", "bin", "ben", "al", "el", "st", "st."})


def several_names(value: str) -> list[str]:
    """The names of a comma-separated list of people ("Jianxiang He, Weiyu Guo"), or [value] when it
    is one name written family name first ("He, Jianxiang", "van der Waals, J. D.", "King, Jr., Martin")."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) < 2 or (len(parts) <= 3 and any(name_key(p) in NAME_SUFFIXES for p in parts)):
        return [value]
    first, second = parts[0].split(), parts[1].split()
    if len(parts) == 2 and (len(first) < 2 or len(second) < 2 or first[0].lower() in _PARTICLES):
        return [value]
    if len(parts) % 2 == 0 and all(" " not in p for p in parts):  # "He, Jianxiang, Guo, Weiyu": family, given, …
        return [f"{parts[i + 1]} {parts[i]}" for i in range(0, len(parts), 2)]
    return parts


def normalise(kind: str, value: str, *, as_query: bool = True) -> tuple[str, str]:
    """Validate a subscription and return (display value, match key); `as_query=False` leaves a
    keyword's query syntax and a category's name unchecked (to find one stored before a rule it breaks).
    A category outside arXiv's taxonomy is refused with problem "category": `follow` then accepts
    it if stored papers carry it (bioRxiv's "cell biology", a Crossref subject)."""
    if kind not in KINDS:
        raise InputError(f"radar: unknown subscription kind {kind!r}; use one of {', '.join(KINDS)}",
                         problem="kind", suggestions=KINDS)
    value = clean_line(value)
    if not value:
        raise InputError(f"radar: an empty {kind} cannot be followed", problem="empty")
    if len(value) > MAX_VALUE:
        raise InputError(f"radar: a {kind} is at most {MAX_VALUE} characters", problem="too-long")
    if kind == "author":
        if "," in value and len(names := several_names(value)) > 1:  # one chip for two people matched no one
            raise InputError(f"radar: {value!r} names several authors; follow one at a time", problem="author-list",
                             suggestions=tuple(names))
        # "He, Jianxiang", as a reference manager lists him, is the chip "Jianxiang He" (it was a
        # second chip for the same person, shown as typed).
        value = given_first(value) if "," in value else value
        key = name_key(value)
        if not key:
            raise InputError(f"radar: {value!r} has no letters to match an author by", problem="author-letters")
        return value, key
    if kind == "venue":
        # Matched by its key: "The Astrophysical Journal" and "Astrophysical Journal" are one chip.
        if not (key := venue_key(value)):
            raise InputError(f"radar: venue {value!r} has no letter or digit to match", problem="empty")
        return value, key
    if kind == "category":
        spelled = arxiv_spelling(value)
        if spelled in ARXIV_CATEGORIES or not as_query:
            value = spelled or value
            return value, value.casefold()
        raise InputError(f"radar: {value!r} is not an arXiv category (e.g. cs.CL, astro-ph.GA, hep-th) nor a category "
                         "of any stored paper", problem="category")
    if kind == "keyword" and as_query:
        if not any(ch.isalnum() for ch in value):  # "+-", or invisible format characters only: matches nothing
            raise InputError(f"radar: keyword {value!r} has no letter or digit to match", problem="empty")
        try:
            parse(value)  # a keyword is a query (search.query): refuse one that does not parse
        except InputError as error:
            words = " ".join(_WORD.findall(value))
            raise InputError(f"radar: keyword {value!r} is not a valid query ({error})", problem="keyword",
                             suggestions=(words,) if words and words != value else ()) from None
    return value, value.casefold()


def nearest_categories(value: str, known: list[str], count: int = SUGGESTIONS) -> tuple[str, ...]:
    """The known categories (most used first) and arXiv's whose names are closest to a mistyped one;
    the most used ones when none is close."""
    wanted = value.strip().casefold()
    by_folded = {c.casefold(): c for c in sorted(ARXIV_CATEGORIES)}
    by_folded.update({c.casefold(): c for c in reversed(known)})  # the most used stored spelling wins
    # The subject under another archive first: "cs.ML" is stat.ML, "math.LG" cs.LG.
    subject = wanted.partition(".")[2]
    same_subject = [c for c in by_folded if subject and c.partition(".")[2] == subject]
    close = difflib.get_close_matches(wanted, list(by_folded), n=count, cutoff=0.6)
    return tuple(by_folded[c] for c in dict.fromkeys([*same_subject, *close]))[:count] or tuple(known[:count])


def follow(store: Store, radar_id: int, kind: str, value: str) -> Subscription:
    """Add a subscription (idempotent); a category is arXiv's or one stored papers carry (in their
    spelling), and a mistyped one is refused with the nearest names."""
    try:
        display, key = normalise(kind, value)
    except InputError as error:
        if error.problem != "category":
            raise
        # The spellings stored (a scan of the category index); how often each is used only to
        # order the suggestions when none is it.
        key = clean_line(value).casefold()
        display = next((c for c in store.works.category_names() if c.casefold() == key), "")
        if not display:
            known = [c for c, _ in store.works.category_counts()]
            raise InputError(str(error), problem="category", suggestions=nearest_categories(value, known)) from None
    return store.accounts.add_subscription(radar_id, kind, display, key, limit=MAX_SUBSCRIPTIONS)


def unfollow(store: Store, radar_id: int, kind: str, value: str) -> Subscription:
    """Remove the subscription that matches kind and value."""
    _, key = normalise(kind, value, as_query=False)
    # An author followed as "Family, Given" before such names were turned round kept that order.
    keys = {key, name_key(clean_line(value))} if kind == "author" else {key}
    for sub in store.accounts.subscriptions(radar_id):
        # A venue followed before its key was folded further kept its name case folded as its key.
        stored = venue_key(sub.value_key) if sub.kind == "venue" else sub.value_key
        if sub.kind == kind and stored in keys:
            return store.accounts.remove_subscription(radar_id, sub.id)
    raise InputError(f"radar: not following {kind} {value!r}")

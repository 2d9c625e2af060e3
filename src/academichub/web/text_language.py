"""The language a paper's own text is written in, as far as its letters tell, for the page's `lang`.

A Chinese page's papers are nearly all in English: without their own `lang`, a screen reader read
their titles and abstracts in its Chinese voice (WCAG 3.1.2, language of parts).
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

CJK_SHARE = 0.3  # ideographs among the letters past which a text is Chinese
LATIN_SHARE = 0.9  # ASCII letters among the letters past which it is taken for English


@lru_cache(maxsize=8192)
def text_language(text: str | None) -> str:
    """ "zh", "en", or "" when the letters do not say (the page's language then stands)."""
    letters = [c for c in (text or "")[:2000] if c.isalpha()]
    if not letters:
        return ""
    ideographs = sum("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in letters)
    if ideographs >= CJK_SHARE * len(letters):
        return "zh"
    if sum(c.isascii() for c in letters) >= LATIN_SHARE * len(letters):
        return "en"
    return ""


def lang_attribute(text: str | None) -> Markup:
    """` lang="…"` for an element holding `text`, or nothing when its letters do not tell."""
    language = text_language(text)
    return Markup(f' lang="{language}"') if language else Markup("")

"""Interface languages through a gettext catalogue (Babel), shared by the web pages and the CLI.

Source strings are English; `locale/zh/LC_MESSAGES/messages.po` holds the Chinese catalogue,
compiled in memory at first use so the repository keeps only the text catalogue.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES: tuple[str, ...] = ("zh", "en")
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of a language (English is the source, so it needs none)."""
    po_file = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext_for(language: str) -> Callable[[str], str]:
    """A `_` function for one language."""
    return translations(language if language in LANGUAGES else "en").gettext


def ngettext_for(language: str) -> Callable[[str, str, int], str]:
    """An `ngettext` for one language: "1 result", "2 results" (Chinese has one form)."""
    return translations(language if language in LANGUAGES else "en").ngettext


def pick_language(*candidates: str | None, default: str = "zh") -> str:
    """The first supported language among candidates (cookie, user setting, header …)."""
    for candidate in candidates:
        # An Accept-Language header lists several ("fr-CH, fr;q=0.9, en;q=0.8"): in its order of preference.
        for part in (candidate or "").split(","):
            code = part.split(";")[0].strip().split("-")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
    return default

"""How a radar is named to a reader: the default radar is "My radar" in the reader's language
everywhere (pages, private feeds, digests, exported briefings); its stored name is a key."""

from __future__ import annotations

from academichub.i18n import gettext_for
from academichub.model.accounts import Radar


def radar_title(radar: Radar, language: str) -> str:
    """The radar's name as a reader of `language` sees it."""
    if not radar.is_default:
        return radar.name
    _ = gettext_for(language)  # as `_`, so that the catalogue's extraction finds the string
    return _("My radar")

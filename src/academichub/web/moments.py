"""Times on pages: UTC in the markup (said so), the reader's own clock once the page's script ran."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup


def moment(value: datetime | str | None) -> Markup:
    """A stored time as `<time>`: "2026-12-07 16:58 UTC", which app.js rewrites in the reader's
    time zone (a page in Beijing showed UTC without saying so, eight hours behind its reader)."""
    if not value:
        return Markup("—")
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)  # the store keeps UTC
    return Markup('<time datetime="{}" data-local>{} UTC</time>').format(
        when.isoformat(timespec="seconds"), when.strftime("%Y-%m-%d %H:%M"))

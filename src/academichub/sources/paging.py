"""Cursor-paged harvests: a cursor given twice ends the harvest with an error, never a loop."""

from __future__ import annotations

from academichub.errors import ProtocolError


class SeenCursors:
    """The cursors (resumption tokens, deep-paging cursors) one harvest was given."""

    def __init__(self, component: str, what: str = "cursor") -> None:
        self.component, self.what = component, what
        self._seen: set[str] = set()

    def next(self, cursor: str) -> str:
        """`cursor`, once; a server that sends one again would have the harvest fetch the same pages
        for ever (a broken OAI-PMH endpoint repeating its resumptionToken did)."""
        if cursor in self._seen:
            raise ProtocolError(f"the server sent the {self.what} {cursor[:80]!r} a second time; stopping rather "
                                "than fetching the same pages again", component=self.component, code="cursor-loop")
        self._seen.add(cursor)
        return cursor

    def records(self, items: list, identifier: str) -> None:
        """Refuse a page of records (Paper or Rejected) that starts as an earlier page did: a server
        that ignores the position it is asked for sends the same records again."""
        self.next(" ".join(str(getattr(item, identifier, None) or getattr(item, "ref", "")) for item in items[:3]))

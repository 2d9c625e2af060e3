"""The run report: what one ingest run did, for the CLI, the API and source health."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunReport:
    """Counts of one run: fetched, new, updated, unchanged, merged, rejected (records that could not
    be used), left out (records that are not papers: notices, data sets, books), each with its
    reasons, and errors."""

    source: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    rejected: int = 0
    rejected_reasons: Counter = field(default_factory=Counter)
    left_out: int = 0
    left_out_reasons: Counter = field(default_factory=Counter)
    errors: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    not_modified: bool = False

    def add_error(self, exc: Exception) -> None:
        """Record a classified error."""
        self.errors.append({"kind": getattr(exc, "kind", type(exc).__name__), "message": str(exc)})

    def absorb(self, other: RunReport) -> None:
        """Add another report's counts (one page of a harvest) into this one."""
        for name in ("fetched", "new", "updated", "unchanged", "merged", "rejected", "left_out", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejected_reasons.update(other.rejected_reasons)
        self.left_out_reasons.update(other.left_out_reasons)
        self.errors += other.errors

    def to_json(self) -> dict[str, Any]:
        """The report as printed by `ingest --json`."""
        return {
            "source": self.source, "fetched": self.fetched, "new": self.new, "updated": self.updated,
            "unchanged": self.unchanged, "merged": self.merged, "rejected": self.rejected,
            "rejected_reasons": dict(self.rejected_reasons), "left_out": self.left_out,
            "left_out_reasons": dict(self.left_out_reasons), "errors": self.errors,
            "seconds": round(self.seconds, 3), "not_modified": self.not_modified,
        }

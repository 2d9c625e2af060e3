"""A reader's feedback on works: the actions there are, and one piece of feedback as stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ACTIONS: tuple[str, ...] = ("like", "save", "dismiss", "less")
HIDING = {"dismiss", "less"}  # these also keep the paper out of the reader's feeds


@dataclass(frozen=True)
class Feedback:
    """One piece of feedback."""

    id: int
    work_id: int
    action: str
    created_at: datetime

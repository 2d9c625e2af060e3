"""Feedback on cards: like, save, dismiss, "less like this", and undo."""

from __future__ import annotations

from academichub.errors import InputError, NotFoundError
from academichub.storage.feedback import ACTIONS, Feedback
from academichub.storage.store import Store


def _work_id(store: Store, paper_id: str) -> int:
    work_id = store.works.id_for_public(paper_id)
    if work_id is None or store.works.get(work_id) is None:
        raise NotFoundError(f"feedback: no paper {paper_id!r}")
    return work_id


def give(store: Store, user_id: int, paper_id: str, action: str) -> Feedback:
    """Record feedback; liking a dismissed paper (or the reverse) replaces the earlier feedback."""
    if action not in ACTIONS:
        raise InputError(f"feedback: unknown action {action!r}; use {', '.join(ACTIONS)} (or undo)")
    work_id = _work_id(store, paper_id)
    opposite = {"like": ("dismiss", "less"), "save": ("dismiss", "less"), "dismiss": ("like",), "less": ("like",)}
    for other in opposite[action]:
        store.feedback.remove(user_id, work_id, other)
    return store.feedback.add(user_id, work_id, action)


def undo(store: Store, user_id: int, paper_id: str, action: str | None = None) -> int:
    """Take feedback back (one action, or all of it on this paper); returns the paper's work id."""
    if action is not None and action not in ACTIONS:
        raise InputError(f"feedback: unknown action {action!r}; use {', '.join(ACTIONS)}")
    work_id = _work_id(store, paper_id)
    store.feedback.remove(user_id, work_id, action)
    return work_id


def state(store: Store, user_id: int, work_ids: list[int]) -> dict[int, set[str]]:
    """The feedback a user gave on each of these works (for the cards' buttons)."""
    return store.feedback.on(user_id, work_ids)

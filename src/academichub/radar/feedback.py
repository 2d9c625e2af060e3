"""Feedback on cards: like, save, dismiss, "less like this", and undo."""

from __future__ import annotations

from academichub.errors import InputError
from academichub.model.feedback import ACTIONS, Feedback
from academichub.model.works import StoredWork
from academichub.storage.store import Store


def _work_id(store: Store, paper_id: str) -> int:
    return store.works.require(paper_id, "feedback").id


def give(store: Store, user_id: int, paper_id: str, action: str) -> Feedback:
    """Record feedback; liking a dismissed paper (or the reverse) replaces the earlier feedback."""
    if action not in ACTIONS:
        raise InputError(f"feedback: unknown action {action!r}; use {', '.join(ACTIONS)} (or undo)")
    work_id = _work_id(store, paper_id)
    opposite = {"like": ("dismiss", "less"), "save": ("dismiss", "less"), "dismiss": ("like",), "less": ("like",)}
    return store.feedback.add(user_id, work_id, action, replacing=opposite[action])


def undo(store: Store, user_id: int, paper_id: str, action: str | None = None) -> int:
    """Take feedback back (one action, or all of it on this paper); returns the paper's work id."""
    if action is not None and action not in ACTIONS:
        raise InputError(f"feedback: unknown action {action!r}; use {', '.join(ACTIONS)}")
    work_id = _work_id(store, paper_id)
    store.feedback.remove(user_id, work_id, action)
    return work_id


def saved(store: Store, user_id: int) -> list[StoredWork]:
    """A reader's saved papers, most recently saved first."""
    return saved_page(store, user_id)[0]


def saved_page(store: Store, user_id: int, *, offset: int = 0, limit: int | None = None) -> tuple[list[StoredWork], int]:
    """One page of a reader's saved papers (most recently saved first) and how many there are:
    only the page's works are loaded (a page of 50 used to load all 2,000 saved)."""
    ids = [f.work_id for f in sorted(store.feedback.all(user_id), key=lambda f: (f.created_at, f.id), reverse=True)
           if f.action == "save"]
    wanted = ids[offset:None if limit is None else offset + limit]
    by_id = {w.id: w for w in store.works.get_many(wanted)}
    return [by_id[i] for i in wanted if i in by_id], len(ids)


def state(store: Store, user_id: int, work_ids: list[int]) -> dict[int, set[str]]:
    """The feedback a user gave on each of these works (for the cards' buttons)."""
    return store.feedback.on(user_id, work_ids)


def standing(store: Store, user_id: int) -> list[tuple[str, list[str]]]:
    """Every paper the reader gave feedback on (its public id) with the feedback standing, in the
    order it was first given."""
    given: dict[int, list[str]] = {}
    for item in store.feedback.all(user_id):
        given.setdefault(item.work_id, []).append(item.action)
    works = {w.id: w for w in store.works.get_many(list(given))}
    return [(works[i].public_id, sorted(actions)) for i, actions in given.items() if i in works]

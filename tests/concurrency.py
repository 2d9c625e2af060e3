"""Calls made at the same moment: real threads, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from academichub.errors import InputError


def at_once(call: Callable[[Any], Any], arguments: Sequence[Any]) -> list[Any]:
    """`call(argument)` for every argument, each in a thread of its own, all started together; the
    results in the order of the arguments."""
    barrier = threading.Barrier(len(arguments))

    def one(argument: Any) -> Any:
        barrier.wait()
        return call(argument)
    with ThreadPoolExecutor(len(arguments)) as pool:
        return list(pool.map(one, arguments))


def allowed(action: Callable[[], Any], refusal: str, *, problem: str | None = None) -> bool:
    """Whether `action` went through (True) or was refused with an InputError saying `refusal` (and
    naming `problem`, when given) (False)."""
    try:
        action()
        return True
    except InputError as exc:
        assert refusal in str(exc) and (problem is None or exc.problem == problem), exc
        return False

"""glibc's allocator set for a long-running server: large temporary arrays go back to the system.

A web process builds and drops arrays of megabytes all the time (a window's candidates, a matrix
catching up with an ingest, scores). glibc raises its mmap threshold after each large free, so
later arrays of that size come from its heaps, which it rarely returns; and every thread gets its
own heap. During a corpus ingest a web process grew to 0.96 GB this way while what Python held was
0.3 GB. A fixed 1 MB threshold and two heaps kept it at 0.52 GB (bench/load.py, README).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters (malloc.h)
M_ARENA_MAX = -8
MMAP_THRESHOLD = 1 << 20
ARENA_MAX = 2


def tune_allocator() -> bool:
    """Set the threshold and the number of heaps (before threads start); False where not glibc."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): its allocator behaves otherwise
        return False
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_ARENA_MAX, ARENA_MAX))
    if not ok:
        log.debug("memory: mallopt refused the settings")
    return ok

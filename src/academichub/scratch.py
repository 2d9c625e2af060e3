"""Where a file or folder is written whole before it is moved into place."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def beside(path: Path, suffix: str = "") -> Path:
    """A hidden name next to `path`, unique to this process and thread, so two writers never share one."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}{suffix}")

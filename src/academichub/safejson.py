"""`json.loads` for untrusted text: a document nested too deeply is malformed JSON like any other.

Python's parser recurses once per level, so `[[[[…]]]]` 200,000 deep raised RecursionError,
which no caller expected: a library upload answered 500 and `ingest --file` stopped with a
traceback instead of rejecting that one line.
"""

from __future__ import annotations

import json
from typing import Any


def loads(data: str | bytes | bytearray) -> Any:
    """`json.loads(data)`; ValueError (as for any malformed JSON) when it is nested too deeply."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None

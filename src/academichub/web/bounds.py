"""The bounds of every number a request can carry: row ids, pages, offsets (422 past them, never a crash).

Row ids are 32-bit on PostgreSQL and 64-bit on SQLite; a larger number used to reach the driver
and answer 500. A search collects offset + limit hits in memory, so an offset of 2^32 made the
index library try to allocate 64 GiB and abort the process.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from academichub.limits import ROW_ID_MAX
from academichub.search.service import MAX_RESULT_WINDOW

__all__ = ["MAX_PAGE", "ROW_ID_MAX", "PageNumber", "RowId"]
MAX_PAGE = 500  # pages of 20 results or cards

RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="A row id")]
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"1 to {MAX_PAGE}")]
ListOffset = Annotated[int, Query(ge=0, le=MAX_RESULT_WINDOW, description=f"0 to {MAX_RESULT_WINDOW}")]

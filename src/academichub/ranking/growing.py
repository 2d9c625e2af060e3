"""An array that grows at its end in place, so that a matrix catching up with an ingest copies only the new rows.

Views of its first n rows stay valid and unchanged while rows are appended after them (a
snapshot that threads are ranking with is such a view); when the spare room runs out a larger
buffer is allocated and the old one lives on for as long as views of it do.
"""

from __future__ import annotations

import numpy as np

SPARE = 0.25  # room kept beyond the rows, as a share of them: one reallocation per ~25% of growth


class Growing:
    """Rows of one dtype and row shape, appended at the end."""

    def __init__(self, rows: np.ndarray) -> None:
        self._buffer = np.empty((0, *rows.shape[1:]), dtype=rows.dtype)
        self._size = 0
        self.extend(rows)

    def __len__(self) -> int:
        return self._size

    def extend(self, rows: np.ndarray) -> np.ndarray:
        """Append rows; return a view of all rows (earlier views are left as they were)."""
        rows = np.asarray(rows, dtype=self._buffer.dtype)
        end = self._size + len(rows)
        if end > len(self._buffer):
            bigger = np.empty((int(end * (1 + SPARE)) + 16, *self._buffer.shape[1:]), dtype=self._buffer.dtype)
            bigger[:self._size] = self._buffer[:self._size]
            self._buffer = bigger
        self._buffer[self._size:end] = rows
        self._size = end
        return self.view()

    def view(self) -> np.ndarray:
        """The rows so far."""
        return self._buffer[:self._size]

"""Caps on what compressed input may expand to: bytes out and the ratio to bytes in, while streaming.

A 2 MB gzip can hold 2 GiB of zeros. Checking the size after decompressing is too late (the
library upload reached 4.7 GB that way, a file ingest 8.5 GB), so every reader of possibly
compressed input counts as it goes and stops at whichever cap comes first: the bytes it has
produced, or their ratio to the compressed bytes consumed. Real text gzips 3–10× (the arXiv
corpus 3.1×); a ratio past 100 is a bomb, not a document.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable
from typing import IO

from academichub.errors import InputError

MAX_RATIO = 100
RATIO_GRACE = 1 << 20  # the ratio is judged once this much has come out (headers skew tiny files)
CHUNK = 1 << 16


def _check(produced: int, consumed: int, limit: int, what: str, compressed: bool = True) -> None:
    if produced > limit:
        raise InputError(f"{what} {'expands past' if compressed else 'is larger than'} {limit // 1_000_000:,} MB",
                         problem="too-large")
    if produced > RATIO_GRACE and produced > MAX_RATIO * max(consumed, 1):
        raise InputError(f"{what} expands more than {MAX_RATIO}× (a decompression bomb?)", problem="too-large")


class _CappedRaw(io.RawIOBase):
    """A raw stream over a decompressor, counting what comes out against what went in."""

    def __init__(self, inner: IO[bytes], consumed: Callable[[], int] | None, limit: int, what: str) -> None:
        self.inner, self.consumed, self.limit, self.what = inner, consumed, limit, what
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self.inner.read(min(len(buffer), CHUNK))  # bounded reads: gzip decompresses at most this much
        n = len(data)
        buffer[:n] = data
        self.produced += n
        if self.consumed is None:  # plain bytes: only the size cap applies
            _check(self.produced, self.produced, self.limit, self.what, compressed=False)
        else:
            _check(self.produced, self.consumed(), self.limit, self.what)
        return n

    def close(self) -> None:
        self.inner.close()
        super().close()


def open_capped(handle: IO[bytes], *, limit: int, what: str) -> IO[bytes]:
    """A buffered reader of a file handle: un-gzipped when it is gzip, and capped either way."""
    start = handle.tell()
    compressed = handle.read(2) == b"\x1f\x8b"
    handle.seek(start)
    if not compressed:
        raw = _CappedRaw(handle, None, limit, what)
    else:
        raw = _CappedRaw(gzip.GzipFile(fileobj=handle, mode="rb"), lambda: handle.tell() - start, limit, what)
    return io.BufferedReader(raw, CHUNK)


def read_all(stream: IO[bytes]) -> bytes:
    """The rest of a capped stream, in chunks (read(n) would reserve n bytes before reading any)."""
    return b"".join(iter(lambda: stream.read(CHUNK * 16), b""))


def gunzip(data: bytes, *, limit: int, what: str) -> bytes:
    """Un-gzip bytes in memory (every member), stopping at the caps rather than after the damage."""
    out: list[bytes] = []
    produced = position = 0  # bytes out; bytes of `data` fed to a decompressor
    while position < len(data):
        decompressor = zlib.decompressobj(wbits=31)  # gzip framing; one object per member
        while not decompressor.eof:
            if decompressor.unconsumed_tail:
                chunk = decompressor.unconsumed_tail
            elif position < len(data):
                chunk = data[position:position + CHUNK]
                position += len(chunk)
            else:
                chunk = b""  # all fed: what zlib still holds comes out, or the file was cut short
            piece = decompressor.decompress(chunk, CHUNK)
            if not chunk and not piece and not decompressor.eof:
                raise InputError(f"{what} is a truncated gzip file", problem="unreadable")
            produced += len(piece)
            _check(produced, position - len(decompressor.unconsumed_tail), limit, what)
            out.append(piece)
        position -= len(decompressor.unused_data)  # what follows the member starts the next one
        while position < len(data) and data[position] == 0:  # tar-style zero padding
            position += 1
        if position < len(data) and data[position:position + 2] != b"\x1f\x8b":
            raise InputError(f"{what} has bytes after its gzip data that are not gzip", problem="unreadable")
    return b"".join(out)

"""Benchmark: what the hostile-input defences cost and what they hold back.

    .venv/bin/python bench/hostile.py [--corpus ../shared/data/arxiv/papers.jsonl.gz] [--posts 300]

Prints, and writes to bench/results/hostile.json:
- the peak memory (tracemalloc) of each path a 2 GiB gzip bomb (2 MB on disk) can take: format
  detection, a line-format ingest, a document read whole, a library file, a library upload's bytes;
- the cost of the decompression caps: reading the corpus through the capped reader against plain
  gzip, in the same run (asserting both read the same bytes);
- the cost of the outbound guard: webhook-sized POSTs to a local server through the guarded
  transport (allow-listed loopback) against a plain httpx transport, in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from figures import save  # bench/figures.py

from academichub.capped import open_capped
from academichub.errors import InputError, SourceError
from academichub.library.importer import decode_library, read_library_file
from academichub.outbound import GuardedTransport, OutboundGuard
from academichub.sources.formats import detect_format, read_items

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv" / "papers.jsonl.gz"


def write_bomb(path: Path, size: int = 2 << 30) -> None:
    block = b"\0" * (1 << 24)
    with gzip.open(path, "wb", compresslevel=9) as out:
        for _ in range(size // len(block)):
            out.write(block)


def peak_mb(run) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    """Peak traced memory of a run and how it ended."""
    tracemalloc.start()
    try:
        run()
        outcome = "accepted"
    except (InputError, SourceError) as exc:
        outcome = str(exc)[:90]
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return round(peak / 1e6, 1), outcome


def bombs(workdir: Path) -> dict:
    bomb = workdir / "bomb.jsonl.gz"
    write_bomb(bomb)
    cases = {
        "format detection": lambda: detect_format(bomb),
        "ingest --file (line format)": lambda: [_ for _ in read_items(bomb, "arxiv-jsonl")[1]],
        "document read whole": lambda: read_items(bomb, "crossref"),
        "library file": lambda: read_library_file(bomb),
        "library upload bytes": lambda: decode_library(bomb.read_bytes(), "upload.bib.gz"),
    }
    results = {"bomb_bytes_on_disk": bomb.stat().st_size, "bomb_expands_to": 2 << 30}
    for name, run in cases.items():
        mb, outcome = peak_mb(run)
        results[name] = {"peak_mb": mb, "outcome": outcome}
        print(f"  bomb via {name:28} peak {mb:6.1f} MB  {outcome}")
    return results


def caps_cost(corpus: Path) -> dict:
    def plain() -> int:
        with gzip.open(corpus, "rb") as stream:
            return sum(len(chunk) for chunk in iter(lambda: stream.read(1 << 20), b""))

    def capped() -> int:
        with corpus.open("rb") as handle, open_capped(handle, limit=10**12, what="bench") as stream:
            return sum(len(chunk) for chunk in iter(lambda: stream.read(1 << 20), b""))

    times = {}
    for name, run in (("plain", plain), ("capped", capped), ("plain", plain), ("capped", capped)):
        started = time.perf_counter()
        size = run()
        times.setdefault(name, []).append(time.perf_counter() - started)
        times.setdefault(f"{name}_bytes", size)
    assert times["plain_bytes"] == times["capped_bytes"], "the capped reader read different bytes"
    best = {k: min(v) for k, v in times.items() if not k.endswith("_bytes")}
    print(f"  caps: {times['plain_bytes'] / 1e6:.0f} MB un-gzipped in {best['plain']:.2f} s plain, "
          f"{best['capped']:.2f} s capped ({best['capped'] / best['plain']:.2f}×)")
    return {"bytes": times["plain_bytes"], "plain_s": round(best["plain"], 3), "capped_s": round(best["capped"], 3),
            "ratio": round(best["capped"] / best["plain"], 3)}


class _Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def guard_cost(posts: int) -> dict:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    body = {"text": "x" * 4000}
    guarded = GuardedTransport(OutboundGuard(["127.0.0.1/32"]))
    times: dict[str, list[float]] = {}
    try:
        for name, transport in (("plain", httpx.HTTPTransport()), ("guarded", guarded)) * 2:
            with httpx.Client(transport=transport) as client:
                started = time.perf_counter()
                for _ in range(posts):
                    assert client.post(url, json=body).text == "ok"
                times.setdefault(name, []).append(time.perf_counter() - started)
    finally:
        server.shutdown()
    best = {k: min(v) / posts * 1000 for k, v in times.items()}
    print(f"  guard: {posts} posts, {best['plain']:.2f} ms each plain, {best['guarded']:.2f} ms guarded "
          f"(+{best['guarded'] - best['plain']:.2f} ms: a name lookup and an address check per request)")
    return {"posts": posts, "plain_ms": round(best["plain"], 3), "guarded_ms": round(best["guarded"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--posts", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = {"bombs": bombs(Path(tmp))}
    figures["caps"] = caps_cost(args.corpus)
    figures["guard"] = guard_cost(args.posts)
    save("hostile", figures)


if __name__ == "__main__":
    main()

"""Benchmark: a bounded load generator against a served AcademicHub on 127.0.0.1.

    .venv/bin/python bench/load.py --home HOME [--scenario feed|home|mixed] [--clients 32]
        [--seconds 30] [--web-workers 1|1,2,4] [--radars 8] [--ingest CORPUS] [--target 1500] [--p99 50]
        [--max-memory-mb 1024] [--peer] [--url URL] [--queue-workers 2]

Closed loop: each of --clients connections sends its next request when the last one answered,
for --seconds, on one of --radars radars of the reader (1: all on the default radar; more: made for
the run, each following cs.CL, and requested through /api/v1/radars/{id}/… and /?radar={id}). Without --url it serves a *copy* of HOME (`academichub serve`, --web-workers
processes) on a free port, so an --ingest run cannot change the original. Scenarios:
- feed: `GET /api/v1/feed` (the recorded batch);
- home: `GET /` (the feed page);
- mixed: 45% feed, 45% home, 10% `POST /api/v1/feed/next` (period "all", so batches stay full);
  every batch 换一批 returns is kept and a paper that two batches of one radar return is a repeat.
With --ingest the corpus file is ingested into the same store by another process while the load
runs (asserted to have started before the load and to have stored papers). Prints requests/s,
p50/p95/p99 per route, errors, repeats and the server's peak memory (its processes together), and
checks them against --target (requests/s) and --p99 (ms); exits 1 when a check fails. Writes
bench/results/load-<scenario>.json.

With --queue-workers N (and ACADEMICHUB_BROKER_URL set) it also runs `academichub worker
--processes N` on the served home, the --ingest goes to the queue (`ingest --file --queue`) and
the workers' memory is sampled with the server's; what they stored is read from /api/v1/health.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import aiohttp
import psutil
from figures import save  # bench/figures.py (the script's own directory is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "academichub"]
# One radar: the reader's default, through the routes the issue names; several: each client its own.
# Every route names the period 换一批 asks for ("all"), as a reader's page and its button do: a page
# opened on another period re-ranks the batch in place, and alternating the two made every other
# GET a re-rank, which no reader does.
PERIOD = "all"
ROUTES = {"feed": ("GET", f"/api/v1/feed?period={PERIOD}"), "home": ("GET", f"/?period={PERIOD}"),
          "next": ("POST", "/api/v1/feed/next")}
RADAR_ROUTES = {"feed": ("GET", f"/api/v1/radars/{{radar}}/feed?period={PERIOD}"),
                "home": ("GET", f"/?radar={{radar}}&period={PERIOD}"),
                "next": ("POST", "/api/v1/radars/{radar}/feed/next")}
FOLLOWED = "cs.CL"  # by the radars made for a run: the sample's largest field
MIX = {"feed": [("feed", 1.0)], "home": [("home", 1.0)],
       "mixed": [("feed", 0.45), ("home", 0.45), ("next", 0.10)]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


class Server:
    """`academichub serve` on a copy of a home (and its queue workers), with their processes' memory sampled."""

    def __init__(self, home: Path, workers: int, env: dict[str, str], queue_workers: int = 0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [*CLI, "serve", "--port", str(self.port)]
        if workers > 1:
            command += ["--workers", str(workers)]
        # To a file, not a pipe: nobody reads a pipe while the load runs, and a server whose log
        # fills it blocks on its next write.
        self.log = home.parent / "server.log"
        self.process = subprocess.Popen(command, env={**env, "ACADEMICHUB_HOME": str(home)},
                                        stdout=subprocess.DEVNULL, stderr=self.log.open("wb"))
        self.queue = None
        if queue_workers:
            # At nice 10, as the README's worker unit runs them: bulk jobs yield the cores to requests.
            self.queue = subprocess.Popen(["nice", "-n", "10", *CLI, "worker", "--processes", str(queue_workers),
                                           "--threads", "1"], env={**env, "ACADEMICHUB_HOME": str(home)},
                                          stdout=subprocess.DEVNULL, stderr=(home.parent / "worker.log").open("wb"))
        self.peak_rss = 0
        self.peak_process_rss = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def wait_ready(self, timeout: float = 120) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/api/v1/feed", timeout=30).status_code == 200:
                    self._sampler.start()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit("server did not answer in time")

    def log_tail(self, size: int = 3000) -> str:
        """The end of what the server wrote to its standard error."""
        return self.log.read_text(errors="replace")[-size:]

    def rss(self) -> list[int]:
        """Resident memory of the server and each of its child processes, in bytes."""
        sizes = []
        for process in (self.process, self.queue):
            if process is None:
                continue
            try:
                root = psutil.Process(process.pid)
                sizes += [p.memory_info().rss for p in [root, *root.children(recursive=True)]]
            except psutil.Error:
                pass
        return sizes

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            sizes = self.rss()
            self.peak_rss = max(self.peak_rss, sum(sizes))
            self.peak_process_rss = max([self.peak_process_rss, *sizes])

    def stop(self) -> None:
        self._stop.set()
        for process in (self.process, self.queue):
            if process is None:
                continue
            # Taken before the signal: a Dramatiq worker busy with an ingest outlives its parent's
            # timeout, and its processes, orphaned, went on ingesting into the next run.
            tree = psutil.Process(process.pid).children(recursive=True)
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            for child in tree:
                if child.is_running():
                    child.kill()


class Tally:
    """What the clients saw: latencies per route, statuses, errors and the batches 换一批 returned."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {route: [] for route in ROUTES}
        self.statuses: Counter[str] = Counter()
        self.errors: list[str] = []
        self.batches: list[tuple[int, list[str]]] = []  # (radar, papers)

    def repeats(self) -> int:
        """Papers that two batches of one radar returned."""
        seen: Counter[tuple[int, str]] = Counter((radar, work) for radar, batch in self.batches for work in batch)
        return sum(count - 1 for count in seen.values() if count > 1)


async def client(session: aiohttp.ClientSession, base: str, mix: list[tuple[str, float]], until: float,
                 tally: Tally, rng: random.Random, next_period: str, radar: int, own_radar: bool) -> None:
    routes, weights = zip(*mix)
    while time.monotonic() < until:
        route = rng.choices(routes, weights)[0]
        method, path = (RADAR_ROUTES if own_radar else ROUTES)[route]
        path = path.format(radar=radar)
        started = time.perf_counter()
        try:
            if method == "GET":
                async with session.get(base + path) as response:
                    body = await response.read()
                    status = response.status
            else:
                async with session.post(base + path, json={"period": next_period}) as response:
                    body = await response.read()
                    status = response.status
                    if status == 200:
                        tally.batches.append((radar, [item["id"] for item in (await response.json())["items"]]))
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            tally.errors.append(f"{route}: {type(exc).__name__}: {exc}")
            continue
        tally.latencies[route].append((time.perf_counter() - started) * 1000)
        tally.statuses[str(status)] += 1
        if status != 200:
            tally.errors.append(f"{route}: HTTP {status}: {body[:200]!r}")


async def radars_for(base: str, count: int) -> list[int]:
    """The reader's default radar, or for count > 1 that many radars made for this run.

    New ones each run: a PostgreSQL store is not copied, and radars kept from an earlier run have
    seen its papers already (their 换一批 came back empty, which is cheap and flattered the figures)."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/api/v1/radars") as response:
            mine = [r["id"] for r in await response.json()][:1]
        if count == 1:
            return mine
        mine, run = [], f"{time.time():.0f}"
        while len(mine) < count:
            async with session.post(f"{base}/api/v1/radars", json={"name": f"load {run} {len(mine)}"}) as response:
                assert response.status == 201, await response.text()
                radar = (await response.json())["id"]
            # A radar that follows nothing shows only the newest day's papers: follow a field.
            async with session.post(f"{base}/api/v1/subscriptions?radar={radar}",
                                    json={"kind": "category", "value": FOLLOWED}) as response:
                assert response.status == 201, await response.text()
            mine.append(radar)
    return mine


async def run_load(base: str, scenario: str, clients: int, seconds: float, seed: int, radars: list[int],
                   next_period: str = PERIOD) -> tuple[Tally, float]:
    """Run the closed loop (client i on radar i mod len(radars)); return what it saw and the seconds it ran."""
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(client(session, base, MIX[scenario], until, tally, random.Random(seed + i),
                                      next_period, radars[i % len(radars)], len(radars) > 1)
                               for i in range(clients)))
        return tally, time.monotonic() - started


def measure_peer(base: str, workdir: Path, args: argparse.Namespace, env: dict[str, str]) -> float:
    """Requests/s of bench/bare_app.py serving our own answers, under the same closed loop."""
    import httpx

    (workdir / "feed.json").write_bytes(httpx.get(f"{base}/api/v1/feed", timeout=30).content)
    (workdir / "home.html").write_bytes(httpx.get(f"{base}/", timeout=30).content)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(ROOT / "bench"),
                                "--port", str(port), "--log-level", "warning", "--no-access-log"],
                               env={**env, "BARE_FEED": str(workdir / "feed.json"), "BARE_HOME": str(workdir / "home.html")})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("the peer app did not start") from None
                time.sleep(0.2)
        tally, elapsed = asyncio.run(run_load(f"http://127.0.0.1:{port}", args.scenario, args.clients, args.seconds,
                                              args.seed, [0]))
        assert not tally.errors, tally.errors[:3]
        return sum(len(v) for v in tally.latencies.values()) / elapsed
    finally:
        process.terminate()
        process.wait(timeout=15)


def start_ingest(home: Path, corpus: Path, env: dict[str, str], queued: bool = False) -> subprocess.Popen:
    """Ingest the corpus into the served store from another process (or send it to the queue workers)."""
    return subprocess.Popen([*CLI, "ingest", "--file", str(corpus), "--json", *(["--queue"] if queued else [])],
                            env={**env, "ACADEMICHUB_HOME": str(home)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stored_works(base: str, server: Server | None = None) -> int:
    """How many works the served store holds (its public health endpoint)."""
    import httpx

    response = httpx.get(f"{base}/api/v1/health", timeout=60)
    if response.status_code != 200:
        time.sleep(2)  # a traceback is logged after the 500 is sent
        raise SystemExit(f"GET /api/v1/health answered {response.status_code}: {response.text[:2000]}"
                         + (f"\nthe server's log ends:\n{server.log_tail()}" if server else ""))
    return response.json()["works"]


def queued_ingest_running(broker_url: str) -> bool:
    """Whether a queue worker still holds (or the queue still waits with) an ingest job."""
    import redis

    client = redis.Redis.from_url(broker_url)
    return bool(client.llen("dramatiq:ingest")
                or any(client.scard(key) for key in client.keys("dramatiq:__acks__.*.ingest")))


def compare_workers(counts: list[int], name: str) -> int:
    """Run this benchmark once per number of web processes and print the rates side by side."""
    import json

    from figures import RESULTS

    argv = sys.argv[1:]
    for flag in ("--web-workers", "--name"):  # replaced per run
        while flag in argv:
            at = argv.index(flag)
            del argv[at:at + 2]
    rows, worst = [], 0
    for count in counts:
        run_name = f"{name}-w{count}"
        code = subprocess.run([sys.executable, __file__, *argv, "--web-workers", str(count), "--name", run_name]).returncode
        worst = max(worst, code)
        figures = json.loads((RESULTS / f"{run_name}.json").read_text())
        rows.append((count, figures))
    print("\nweb processes  requests/s     p99  errors  repeats  largest process")
    for count, f in rows:
        print(f"{count:>13}  {f['requests_per_s']:>10,.0f}  {f['p99_ms']:>6.0f}  {f['errors']:>6}  {f['repeated_papers']:>7}  "
              f"{f['process_peak_mb']} MB")
    save(name + "-workers", {"runs": [{"web_workers": c, **f} for c, f in rows]})
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="A data directory with a loaded store (copied; see --url).")
    parser.add_argument("--url", help="Load an already running server instead of serving a copy of --home.")
    parser.add_argument("--scenario", choices=sorted(MIX), default="feed")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--web-workers", default="1",
                        help="Processes of `academichub serve --workers N`; a list (1,2,4) runs each in turn and compares.")
    parser.add_argument("--ingest", type=Path, help="Corpus file ingested by another process during the load.")
    parser.add_argument("--target", type=float, default=0, help="Requests/s the run must reach.")
    parser.add_argument("--p99", type=float, default=0, help="p99 (ms) every route must stay under.")
    parser.add_argument("--max-memory-mb", type=float, default=0, help="Peak memory each server process must stay under.")
    parser.add_argument("--radars", type=int, default=1,
                        help="Radars the clients spread over (1: all on the default radar, the worst case for its cache).")
    parser.add_argument("--peer", action="store_true",
                        help="Also load a bare FastAPI app serving the same bodies (bench/bare_app.py) and print the ratio.")
    parser.add_argument("--queue-workers", type=int, default=0,
                        help="Also run `academichub worker --processes N` (needs ACADEMICHUB_BROKER_URL); --ingest goes to the queue.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--name", help="Name of the JSON file (default load-<scenario>).")
    args = parser.parse_args()
    if not args.url and not args.home:
        parser.error("give --home (served as a copy) or --url")
    counts = [int(n) for n in str(args.web_workers).split(",") if n.strip()]
    if len(counts) > 1:
        return compare_workers(counts, args.name or f"load-{args.scenario}")
    args.web_workers = counts[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACADEMICHUB_")}
    env.update({k: v for k, v in os.environ.items() if k.startswith("ACADEMICHUB_") and k != "ACADEMICHUB_HOME"})
    env["ACADEMICHUB_SCHEDULE__ENABLED"] = "false"
    workdir = Path(tempfile.mkdtemp(prefix="ah-load-"))
    server = ingest = None
    peer = None
    try:
        if args.url:
            base = args.url.rstrip("/")
        else:
            home = workdir / "home"
            shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("cache"))
            if args.queue_workers and not env.get("ACADEMICHUB_BROKER_URL"):
                parser.error("--queue-workers needs ACADEMICHUB_BROKER_URL=redis://…")
            server = Server(home, args.web_workers, env, args.queue_workers)
            server.wait_ready()
            base = server.url
        radars = asyncio.run(radars_for(base, args.radars))
        asyncio.run(run_load(base, args.scenario, min(args.clients, 4), 2, args.seed, radars))  # warm every process
        if args.ingest:
            if args.url:
                parser.error("--ingest needs --home (the copy it ingests into)")
            works_before = stored_works(base, server)
            ingest = start_ingest(home, args.ingest, env, queued=bool(args.queue_workers))
            if args.queue_workers:  # the command only sends the job: wait until the workers store papers
                if ingest.wait(timeout=60) != 0:
                    raise SystemExit(f"could not queue the ingest: {ingest.stderr.read().decode()[-2000:]}")
                deadline = time.monotonic() + 120
                while stored_works(base, server) == works_before:
                    if time.monotonic() > deadline:
                        log = (home.parent / "worker.log").read_text(errors="replace")[-3000:]
                        raise SystemExit(f"the queue workers stored nothing in 2 minutes:\n{log}")
                    time.sleep(0.5)
            else:
                time.sleep(3)  # past start-up, into the store's writes
                if ingest.poll() is not None:
                    raise SystemExit(f"ingest ended before the load: {ingest.stderr.read().decode()[-2000:]}")
        if args.peer:
            if args.scenario == "mixed" or args.radars > 1:
                parser.error("--peer compares the feed or home scenario on the default radar")
            peer = measure_peer(base, workdir, args, env)
        tally, elapsed = asyncio.run(run_load(base, args.scenario, args.clients, args.seconds, args.seed, radars))
        ingest_running = ingest is not None and ingest.poll() is None
        stored_by_ingest = None
        if ingest is not None and args.queue_workers:
            stored_by_ingest = stored_works(base, server) - works_before  # while the queued job may still run
            ingest_running = queued_ingest_running(env["ACADEMICHUB_BROKER_URL"])
            assert stored_by_ingest > 0, "the queue workers stored nothing, so the load ran beside no writes"
        elif ingest is not None:
            out, errs = ingest.communicate(timeout=1800)
            if ingest.returncode != 0:
                raise SystemExit(f"ingest failed: {errs.decode()[-2000:]}")
            import json

            stored_by_ingest = json.loads(out)["new"]
            assert stored_by_ingest > 0, "the ingest stored nothing, so the load ran beside no writes"
    finally:
        if server:
            server.stop()
        if ingest and ingest.poll() is None:
            ingest.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    total = sum(len(v) for v in tally.latencies.values())
    rate = total / elapsed
    every = [ms for values in tally.latencies.values() for ms in values]
    figures = {
        "scenario": args.scenario, "clients": args.clients, "radars": args.radars, "seconds": round(elapsed, 1),
        "web_workers": args.web_workers, "requests": total, "requests_per_s": round(rate, 1),
        "p50_ms": round(percentile(every, 0.5), 1), "p95_ms": round(percentile(every, 0.95), 1),
        "p99_ms": round(percentile(every, 0.99), 1),
        "routes": {route: {"requests": len(values), "p50_ms": round(percentile(values, 0.5), 1),
                           "p95_ms": round(percentile(values, 0.95), 1), "p99_ms": round(percentile(values, 0.99), 1)}
                   for route, values in tally.latencies.items() if values},
        "statuses": dict(tally.statuses), "errors": len(tally.errors), "first_errors": tally.errors[:5],
        "batches": len(tally.batches), "papers_shown_by_next": sum(len(b) for _, b in tally.batches),
        "empty_batches": sum(not b for _, b in tally.batches), "repeated_papers": tally.repeats(),
        "server_peak_mb": round(server.peak_rss / 2**20) if server else None,
        "process_peak_mb": round(server.peak_process_rss / 2**20) if server else None,
        "peer_requests_per_s": round(peer, 1) if peer else None,
        "share_of_peer": round(rate / peer, 2) if peer else None,
        "ingest": str(args.ingest) if args.ingest else None, "ingest_stored": stored_by_ingest,
        "ingest_ran_throughout": ingest_running if args.ingest else None,
    }
    print(f"{args.scenario}: {total} requests in {elapsed:.1f} s = {rate:,.0f}/s over {args.clients} clients "
          f"on {args.radars} radar(s); "
          f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms")
    for route, row in figures["routes"].items():
        print(f"  {route:5} {row['requests']:7} requests  p50 {row['p50_ms']:7.1f}  p95 {row['p95_ms']:7.1f}  "
              f"p99 {row['p99_ms']:7.1f} ms")
    print(f"  errors {len(tally.errors)}  batches {len(tally.batches)} ({figures['papers_shown_by_next']} papers, "
          f"{figures['empty_batches']} empty)  repeated papers {tally.repeats()}  "
          f"server peak {figures['server_peak_mb']} MB (largest process {figures['process_peak_mb']} MB)")
    if peer:
        print(f"  peer (bare FastAPI, same bodies, same clients) {peer:,.0f}/s: ours is {rate / peer:.0%} of it")
    if args.ingest:
        print(f"  ingest beside it: {stored_by_ingest} new papers; still running when the load ended: {ingest_running}")
    for error in tally.errors[:5]:
        print(f"  ! {error}")
    save(args.name or f"load-{args.scenario}", figures)
    failures = []
    if args.target and rate < args.target:
        failures.append(f"{rate:,.0f} requests/s < target {args.target:,.0f}")
    if args.p99 and figures["p99_ms"] > args.p99:
        failures.append(f"p99 {figures['p99_ms']} ms > {args.p99} ms")
    if args.max_memory_mb and server and figures["process_peak_mb"] > args.max_memory_mb:
        failures.append(f"a server process peaked at {figures['process_peak_mb']} MB > {args.max_memory_mb} MB")
    if tally.errors:
        failures.append(f"{len(tally.errors)} errors")
    if tally.repeats():
        failures.append(f"{tally.repeats()} repeated papers")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the offline briefing's time for 60 and for 500 papers, and what the LLM path would use.

    .venv/bin/python bench/briefing.py [--home DIR] [--period month] [--sizes 60 500]

Loads the bundled sample into --home (a temporary directory by default), follows a few
keywords and categories, then for each size writes an offline briefing (selection by the
radar's ranking, clustering, key phrases, cross-field analysis, trends, text; the window's model
is warmed first so the figure is the briefing's own work) and plans the LLM path for the same
papers: calls (one per theme + one synthesis) and estimated input tokens. Writes
bench/results/briefing.json.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from figures import save  # bench/figures.py (the script's own directory is on sys.path)

from academichub import compose
from academichub.briefing.service import BriefingService, Request
from academichub.radar.subscriptions import follow
from academichub.settings import load_settings
from academichub.storage.store import Store
from academichub.worker import jobs

ROOT = Path(__file__).resolve().parents[1]


def run(home: Path, period: str, sizes: list[int]) -> dict:
    settings = load_settings(home, schedule={"enabled": False})
    results: dict = {"period": period, "sizes": {}}
    with Store.open(settings) as store:
        if store.works.count() == 0:
            jobs.load_sample(store)
            jobs.embed_new(store, settings)
        _user, radar = store.accounts.ensure_local_user()
        for kind, value in (("keyword", "video"), ("keyword", "language model"), ("category", "astro-ph"),
                            ("category", "cs.LG")):
            follow(store, radar.id, kind, value)
        radar = store.accounts.get_radar(radar.id)
        feed = compose.build(settings, store=store, background=False).feed
        feed.current(radar, period=period)  # warm the window and the reader's model
        for size in sizes:
            sized = settings.model_copy(update={"briefing": settings.briefing.model_copy(
                update={"papers": size, "bridges": max(3, size // 10)})})
            service = BriefingService(sized, feed)
            started = time.perf_counter()
            briefing = service.build(Request(radar, period, "en"))
            seconds = time.perf_counter() - started
            plan = service.plan(Request(radar, period, "en"))
            assert plan["largest_call_tokens"] <= sized.llm.max_input_tokens, plan
            results["sizes"][size] = {"papers": len(briefing.papers), "themes": len(briefing.themes),
                                      "links": len(briefing.links), "offline_seconds": round(seconds, 2),
                                      "llm_calls": plan["calls"], "llm_input_tokens": plan["input_tokens"],
                                      "llm_largest_call_tokens": plan["largest_call_tokens"],
                                      "llm_output_tokens_max": plan["output_tokens_max"]}
            print(f"{len(briefing.papers):4d} papers: offline briefing {seconds:.2f} s ({len(briefing.themes)} themes, "
                  f"{len(briefing.links)} cross-field links); LLM path: {plan['calls']} calls, "
                  f"~{plan['input_tokens']:,} input tokens (largest call ~{plan['largest_call_tokens']:,})")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path)
    parser.add_argument("--period", default="month")
    parser.add_argument("--sizes", type=int, nargs="+", default=[60, 500])
    args = parser.parse_args()
    if args.home:
        results = run(args.home, args.period, args.sizes)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            results = run(Path(tmp) / "home", args.period, args.sizes)
    results.update(machine=platform.platform(), python=platform.python_version(),
                   note="tokens estimated at ~4 characters (or 1 CJK character) per token")
    save("briefing", results)


if __name__ == "__main__":
    main()

"""Commands of the learning radar: embed, library import, feedback, rank and eval."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from academichub.cli.app import (
    app,
    counted,
    err,
    existing_file,
    init_store,
    open_store,
    out,
    parse_day,
    print_json,
    reader_of,
    settings_of,
)
from academichub.cli.progress import progress_bar
from academichub.embedding import make_embedder
from academichub.errors import InputError
from academichub.library import importer
from academichub.library.readers import READERS
from academichub.model.feedback import ACTIONS
from academichub.radar import feedback as feedback_service
from academichub.worker import embedding_job

library_app = typer.Typer(help="Import and list your library (BibTeX, RIS, Zotero, CSL-JSON, ORCID).",
                          no_args_is_help=True)
app.add_typer(library_app, name="library")


@app.command()
def embed(ctx: typer.Context) -> None:
    """Embed every stored work that has no vector of the configured model yet."""
    settings = settings_of(ctx)
    with open_store(settings) as store, progress_bar("Embedding", console=err) as advance:
        count = embedding_job.embed_missing(store, make_embedder(settings.embedding), progress=advance)
    err.print(f"Embedded {counted(count, 'paper')} with {settings.embedding.model}")


@library_app.command("import")
def library_import(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A library file (gzip allowed).")],
    fmt: Annotated[str | None, typer.Option("--format", help=f"One of {', '.join(READERS)} (detected when omitted).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the import report as JSON.")] = False,
) -> None:
    """Import a library file: match its items to stored papers, embed the others, report."""
    settings = settings_of(ctx)
    existing_file(file, "library")
    with init_store(settings) as store:
        user, _radar = reader_of(ctx, store)
        report = importer.import_file(store, make_embedder(settings.embedding), user.id, file, fmt)
    if as_json:
        print_json(report.to_json())
        return
    matched = ", ".join(f"{n} by {how}" for how, n in report.matched.most_common()) or "none"
    skipped = ", ".join(f"{n} ({why})" for why, n in report.skipped.most_common()) or "none"
    out.print(f"{report.source} ({report.format}): {counted(report.imported, 'item')} imported in {report.seconds:.1f}s; "
              f"matched to stored papers: {matched}; unmatched (embedded from their own text): "
              f"{report.unmatched}; skipped: {skipped}")


@library_app.command("orcid")
def library_orcid(ctx: typer.Context, orcid: Annotated[str, typer.Argument(help="An ORCID iD, e.g. 0000-0002-1825-0097.")],
                  as_json: Annotated[bool, typer.Option("--json", help="Print the import report as JSON.")] = False) -> None:
    """Import the public works list of an ORCID iD."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        user, _radar = reader_of(ctx, store)
        report = importer.import_orcid(store, make_embedder(settings.embedding), user.id, orcid, settings)
    print_json(report.to_json()) if as_json else out.print(
        f"ORCID {orcid}: {counted(report.imported, 'work')}, {sum(report.matched.values())} matched to stored papers")


@library_app.command("list")
def library_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
                 source: Annotated[str | None, typer.Option(help="List this source's entries and what each matched.")] = None,
                 ) -> None:
    """List imported library sources (or, with --source, one source's entries)."""
    with open_store(settings_of(ctx)) as store:
        user, _radar = reader_of(ctx, store)
        if source is None:
            rows = importer.imported_sources(store, user.id)
        else:
            entries = importer.source_entries(store, user.id, source, limit=importer.MAX_ENTRIES, required=True)
    if source is not None:
        if as_json:
            print_json([e.to_json() for e in entries])
            return
        for e in entries:
            year = f" ({e.year})" if e.year else ""
            found = f"{e.paper_id}, by {e.match}" if e.paper_id else "not matched"
            out.print(f"{e.title}{year} — {found}")
        return
    if as_json:
        print_json([{**r, "imported_at": str(r["imported_at"])} for r in rows])
        return
    for row in rows:
        out.print(f"{row['source']}: {counted(row['items'], 'item')}, {row['matched']} matched")


@library_app.command("remove")
def library_remove(ctx: typer.Context, source: Annotated[str, typer.Argument(help="The source name as listed.")]) -> None:
    """Remove an imported library source."""
    with open_store(settings_of(ctx)) as store:
        user, _radar = reader_of(ctx, store)
        count = importer.remove_source(store, user.id, source)
    if not count:
        raise InputError(f"library: no imported source {source!r}")
    err.print(f"Removed {counted(count, 'item')} of {source}")


@app.command()
def feedback(ctx: typer.Context,
             action: Annotated[str, typer.Argument(help=f"{', '.join(ACTIONS)} or undo.")],
             paper: Annotated[str, typer.Argument(help="A paper id, e.g. arxiv:2508.06869.")]) -> None:
    """Like, save, dismiss ("less" = less like this) a paper, or undo your feedback on it."""
    with open_store(settings_of(ctx)) as store:
        user, _radar = reader_of(ctx, store)
        if action == "undo":
            feedback_service.undo(store, user.id, paper)
        else:
            feedback_service.give(store, user.id, paper, action)
    err.print(f"{action}: {paper}")


@app.command()
def rank(
    ctx: typer.Context,
    library: Annotated[list[Path], typer.Option("--library", help="A library file (repeatable).")],
    corpus: Annotated[Path, typer.Option("--corpus", help="A corpus JSONL (e.g. papers.jsonl.gz).")],
    date_from: Annotated[str, typer.Option("--from", help="First day of the window to rank.")],
    date_to: Annotated[str, typer.Option("--to", help="Last day of the window to rank.")],
    top: Annotated[int, typer.Option("--top", min=1, help="How many to list per library.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Rank a corpus window for library files without a server (the corpus is embedded once, cached)."""
    from academichub.evaluation.offline import rank_window

    settings = settings_of(ctx)
    start, end = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    for path in [*library, corpus]:
        existing_file(path, "rank")
    result = rank_window(library, corpus, start, end, top=top, embedder=make_embedder(settings.embedding),
                         cache_dir=settings.home / "cache")
    if as_json:
        print_json(result)
        return
    for ranking in result["rankings"]:
        if "error" in ranking:
            err.print(f"rank: {ranking['error']}")
            continue
        table = Table(title=ranking["library"])
        for column in ("#", "id", "score", "why"):
            table.add_column(column, overflow="fold")
        for n, row in enumerate(ranking["items"], start=1):
            table.add_row(str(n), row["id"], f"{row['score']:.3f}", "; ".join(row["reasons"]))
        out.print(table)


@app.command("eval")
def evaluate_command(
    ctx: typer.Context,
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Corpus JSONL (default: the bundled sample).")] = None,
    cutoff: Annotated[str | None, typer.Option(help="Cut-off day, or several comma-separated (profiles before, ranking after).")] = None,
    end: Annotated[str | None, typer.Option(help="Last day (exclusive) of the ranked window of the first cut-off; later cut-offs get windows as long.")] = None,
    history_from: Annotated[str | None, typer.Option("--history-from", help="First day of the history.")] = None,
    author_tasks: Annotated[int, typer.Option("--author-tasks", min=1, help="Researchers sampled (protocol a).")] = 150,
    category_tasks: Annotated[int, typer.Option("--category-tasks", min=1, help="Categories (protocol b).")] = 20,
    small_tasks: Annotated[int, typer.Option("--small-tasks", min=0, help="Researchers with a 3–20 paper library (protocol c; 0: skip).")] = 150,
    seed: Annotated[int, typer.Option(help="Random seed of the sampling.")] = 7,
    seeds: Annotated[str | None, typer.Option(help="Several seeds, comma-separated (each cut-off runs once per seed).")] = None,
    dense_weights: Annotated[str | None, typer.Option("--dense-weights", help="Also run our model with these dense-view weights (comma-separated) and learn the best on the tuning cut-offs.")] = None,
    dense_views: Annotated[str | None, typer.Option("--dense-views", help="Also run these views learned from the history (lsa, coauthor; comma-separated) as the centroid's vectors and as our dense view, and pick the best dense view on the tuning cut-offs.")] = None,
    half_lives: Annotated[str | None, typer.Option("--half-lives", help="Also fit our model with these recency half-lives of its positives (days, comma-separated; inf: no decay) and learn the best on the tuning cut-offs.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Evaluate AcademicHub's ranker against BM25, TF-IDF+SVM, TF-IDF centroid and embedding centroid (time split)."""
    from academichub.evaluation.run import (
        TUNING_BEFORE,
        EvalConfig,
        best_dense_view,
        evaluate,
        learned_half_life,
        learned_weight,
        summarise,
        tuned,
    )
    from academichub.evaluation.views import VIEWS
    from academichub.worker.jobs import SAMPLE

    settings = settings_of(ctx)
    path = corpus or SAMPLE
    existing_file(path, "eval")
    defaults = ("2026-02-01", "2026-04-01", "2025-01-01") if corpus else ("2025-09-15", "2025-09-27", "2025-01-01")
    days = [parse_day(d.strip(), "--cutoff") for d in (cutoff or defaults[0]).split(",") if d.strip()]
    first_end = parse_day(end or defaults[1], "--end")
    if not days or first_end <= days[0]:
        raise InputError("eval: --end must come after the (first) --cutoff")
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()] if seeds else [seed]
    except ValueError:
        raise InputError(f"eval: --seeds takes comma-separated integers, got {seeds!r}") from None
    try:
        weights = tuple(float(w) for w in dense_weights.split(",") if w.strip()) if dense_weights else ()
    except ValueError:
        raise InputError(f"eval: --dense-weights takes comma-separated numbers, got {dense_weights!r}") from None
    if any(not 0 <= w < math.inf for w in weights):  # nan compares false: refused too
        raise InputError(f"eval: --dense-weights must be finite weights of 0 or more, got {dense_weights!r}")
    try:
        lives = tuple(dict.fromkeys(float(h) for h in (half_lives or "").split(",") if h.strip()))
    except ValueError:
        raise InputError(f"eval: --half-lives takes comma-separated days (or inf), got {half_lives!r}") from None
    if any(not h > 0 for h in lives):  # also refuses nan
        raise InputError(f"eval: --half-lives must be positive days (or inf), got {half_lives!r}")
    views = tuple(dict.fromkeys(v.strip() for v in (dense_views or "").split(",") if v.strip()))
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        raise InputError(f"eval: unknown dense view {unknown[0]!r} in --dense-views; use {', '.join(VIEWS)}")
    length = first_end - days[0]
    configs = [EvalConfig(path, day, day + length, parse_day(history_from or defaults[2], "--history-from"),
                          author_tasks=author_tasks, category_tasks=category_tasks, small_tasks=small_tasks, seed=s,
                          dense_weights=weights, dense_views=views, half_lives=lives)
               for day in days for s in seed_list]
    total = len(configs) * (author_tasks + category_tasks + small_tasks)
    embedder = make_embedder(settings.embedding)
    with progress_bar("Evaluating", console=err, total=total, enabled=not as_json) as advance:
        results = [evaluate(config, embedder, cache_dir=settings.home / "cache", progress=advance) for config in configs]
    summary = summarise(results)
    held_out = sorted({c.cutoff.isoformat() for c in configs if c.cutoff >= TUNING_BEFORE})
    learned = tuned(results, lambda runs: learned_weight(runs, weights), "weight")
    recency = tuned(results, lambda runs: learned_half_life(runs, lives), "half_life", key=lambda h: f"{h:g}")
    chosen = tuned(results, lambda runs: best_dense_view(runs, views), "view")
    if as_json:
        runs = [r.to_json() for r in results]
        extra = {"summary": summary, "held_out_cutoffs": held_out, "dense_weight": learned, "dense_view": chosen,
                 "half_life": recency}
        print_json({**runs[0], "runs": runs, **extra} if len(runs) == 1 else {"runs": runs, **extra})
        return
    out.print(f"corpus {path.name}, cut-offs {', '.join(d.isoformat() for d in days)} (windows of {length.days} days), "
              f"seeds {', '.join(map(str, seed_list))}, embedding {results[0].model}, "
              f"{sum(r.seconds for r in results):.0f}s; held out (after {TUNING_BEFORE}): {', '.join(held_out) or 'none'}")
    table = Table()
    for column in ("protocol", "tasks", "ranker", "nDCG@10 [95% CI]", "ours − it [95% CI]", "ours / it"):
        table.add_column(column)
    for protocol, row in summary.items():
        for ranker, values in sorted(row["rankers"].items(), key=lambda kv: -kv[1]["ndcg@10"]):
            versus = row["versus"].get(ranker)
            table.add_row(protocol, str(row["tasks"]), ranker + (" (best baseline)" if ranker == row["best_baseline"] else ""),
                          f"{values['ndcg@10']:.4f} [{values['ci95'][0]:.4f}, {values['ci95'][1]:.4f}]",
                          f"{versus['difference']:+.4f} [{versus['ci95'][0]:+.4f}, {versus['ci95'][1]:+.4f}]" if versus else "",
                          f"{versus['ratio']:.2f}×" if versus else "")
    out.print(table)
    if learned:
        out.print(f"dense-view weight learned on the tuning cut-offs: {learned['weight']:g} "
                  f"(mean nDCG@10 over protocols by weight: {learned['tuning']}; held out: {learned['held_out']})")
    if recency:
        out.print(f"recency half-life learned on the tuning cut-offs: {recency['half_life']:g} days "
                  f"(mean nDCG@10 over protocols by half-life: {recency['tuning']}; held out: {recency['held_out']})")
    if chosen:
        out.print(f"dense view chosen on the tuning cut-offs: {chosen['view']} "
                  f"(mean nDCG@10 over protocols by view: {chosen['tuning']}; held out: {chosen['held_out']})")


"""The one source registry: settings, the CLI, the harvester, the scheduler, health and file formats
all come from the sources' own declarations, so a new source is one module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from academichub.errors import InputError
from academichub.settings import load_settings
from academichub.sources import registry
from academichub.sources.contract import Window
from tests.replay_server import Reply, replay_server


def _settings(tmp_path):  # type: ignore[no-untyped-def]
    return load_settings(tmp_path, schedule={"enabled": False}, sources={
        "arxiv": {"categories": ["cs.CL"]}, "crossref": {"enabled": True, "issns": ["0028-0836"]},
        "openalex": {"enabled": True, "filters": ["primary_location.source.id:S137773608"]},
        "pubmed": {"enabled": True, "queries": ["ribosome"]},
        "biorxiv": {"enabled": True, "servers": ["biorxiv", "medrxiv"]},
        "journals": {"enabled": True, "feeds": ["nature"]}})


def test_every_enabled_stream_and_every_cli_name_resolves_to_one_source(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path)
    enabled = registry.configured(settings)
    assert [s.source for s in enabled] == ["arxiv", "biorxiv", "biorxiv", "crossref", "journal", "openalex", "pubmed"]
    assert all(registry.fetcher(s) is registry.sources()[s.source].fetch for s in enabled)
    assert registry.cli_names() == ("arxiv", "biorxiv", "medrxiv", "crossref", "journal", "openalex", "pubmed")
    options = {"issn": "0028-0836", "query": "ribosome", "filter": "x:y", "feed": "nature", "categories": "cs.CL"}
    asked = {name: registry.asked(name, settings, {k: v for k, v in options.items() if k in takes})
             for name, takes in (("arxiv", {"categories"}), ("biorxiv", set()), ("medrxiv", set()),
                                 ("crossref", {"issn"}), ("journal", {"feed"}), ("openalex", {"filter"}),
                                 ("pubmed", {"query"}))}
    assert asked["medrxiv"].params == {"server": "medrxiv"} and asked["biorxiv"].params == {"server": "biorxiv"}
    assert asked["journal"].key == "journal:nature" and asked["arxiv"].params["categories"] == "cs.CL"
    assert {s.key for s in enabled} >= {asked[n].key for n in ("arxiv", "crossref", "pubmed", "journal")}
    # Every settings group a source declares is under `sources.`, its defaults intact.
    assert settings.sources.journals.feeds == ["nature"] and settings.sources.arxiv.min_interval == 3.0


def test_an_unknown_source_a_stray_option_and_missing_options_are_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path)
    with pytest.raises(InputError, match="unknown source 'dblp'; available: arxiv, biorxiv, medrxiv, crossref, "
                                         "journal, openalex, pubmed"):
        registry.asked("dblp", settings, {})
    with pytest.raises(InputError, match=r"pubmed does not take --issn \(it takes --query\)"):
        registry.asked("pubmed", settings, {"issn": "0028-0836", "query": "x"})
    with pytest.raises(InputError, match=r"medrxiv does not take --id, --query \(it takes no options of its own\)"):
        registry.asked("medrxiv", settings, {"query": "x", "ids": ["2501.00001"]})
    with pytest.raises(InputError, match="journal needs --feed"):
        registry.asked("journal", settings, {})
    with pytest.raises(InputError, match="unknown arXiv method 'rss'"):
        registry.asked("arxiv", settings, {"method": "rss"})
    with pytest.raises(InputError, match="takes no --from/--to"):
        registry.check_window(registry.asked("journal", settings, {"feed": "nature"}), Window(start=date(2025, 1, 1)))
    # Dates without a method named go to arXiv's query API: the listing is only ever today's.
    assert registry.asked("arxiv", settings, {}, Window(date(2025, 1, 1))).params["method"] == "api"
    assert registry.asked("arxiv", settings, {}).params["method"] == "listing"


DBLP_MODULE = '''
"""A test source, declared the way every source is: one module."""

from __future__ import annotations

import json

from pydantic import Field

from academichub.keys import make_author
from academichub.model import Paper, Rejected
from academichub.sources.contract import CliOption, FileFormat, Page, Source, SourceSettings, Stream


class DblpSettings(SourceSettings):
    """dblp venues."""

    base_url: str = Field("https://dblp.org", description="dblp endpoint.")
    min_interval: float = Field(0.0, ge=0, description="Seconds between requests.")
    venues: list[str] = Field(default_factory=list, description="Venues harvested by scheduled runs.")


def stream(venue):
    return Stream(f"dblp:venue:{venue}", "dblp", f"dblp · {venue}", {"venue": venue})


def parse(data):
    document = json.loads(data)
    return [Paper(title=hit["title"], source="dblp", doi=hit.get("doi"), authors=[make_author(a) for a in hit["authors"]],
                  abstract=hit.get("abstract", "")) if hit.get("title") else Rejected("dblp hit without a title")
            for hit in document["dblp"]["hits"]]


def pages(client, request):
    url = f"{request.settings.base_url}/search/{request.stream.params['venue']}.json"
    client.configure_host(url, request.settings.min_interval, request.settings.max_concurrency)
    yield Page(parse(client.get(url, component="dblp").content))


SOURCE = Source(
    "dblp", DblpSettings,
    streams=lambda group: [stream(v) for v in group.venues],
    asked=lambda _name, _group, options, _window: stream(options["venue"]),
    fetch=pages,
    options=(CliOption("venue", "a dblp venue key."),),
    formats=(FileFormat("dblp-json", "dblp search API response (JSON)", read=lambda data: iter(parse(data)),
                        sniff_json=lambda document: "dblp" in document),),
)
'''

DRIVER = '''
import contextlib, io, json, os, sys
import academichub.sources
academichub.sources.__path__.append(os.environ["PLUGINS"])  # before anything asks the registry
from academichub.cli.main import main
results = []
for argv in json.loads(sys.argv[1]):  # one interpreter for every command: each start costs seconds
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exited:
            code = exited.code or 0
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
'''


def _hits(*titles: str) -> bytes:
    return json.dumps({"dblp": {"hits": [{"title": t, "doi": f"10.1000/{t.lower().replace(' ', '-')}", "authors": ["Ada Lovelace"],
                                          "abstract": f"About {t.lower()}."} for t in titles]}}).encode()


def test_a_new_source_is_one_module(tmp_path: Path) -> None:
    # A module dropped into the sources package: settings, `ingest NAME` with its option, the
    # harvester, `ingest --all`, health and file-format detection all know it; nothing else changes.
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "dblp.py").write_text(textwrap.dedent(DBLP_MODULE))
    (tmp_path / "hits.json").write_bytes(_hits("Analytical engines", "Bernoulli numbers"))
    with replay_server() as server:
        server.script("/search/conf-icml.json", Reply(body=_hits("Notes on the engine")))
        server.script("/search/conf-nips.json", Reply(body=_hits("Weaving algebraic patterns")))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("ACADEMICHUB_")},
               "PLUGINS": str(plugins), "ACADEMICHUB_HOME": str(tmp_path / "home"),
               "ACADEMICHUB_SCHEDULE__ENABLED": "false", "ACADEMICHUB_SOURCES__ARXIV__ENABLED": "false",
               "ACADEMICHUB_SOURCES__DBLP__BASE_URL": server.url,
               "ACADEMICHUB_SOURCES__DBLP__ENABLED": "true", "ACADEMICHUB_SOURCES__DBLP__VENUES": '["conf-nips"]'}

        commands = [["ingest", "--help"], ["ingest", "--file", str(tmp_path / "hits.json"), "--json"],
                    ["ingest", "dblp", "--venue", "conf-icml", "--json"], ["ingest", "dblp", "--issn", "0028-0836"],
                    ["ingest", "--all", "--json"], ["sources", "--json"]]
        driven = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(commands)], env=env, text=True,
                                capture_output=True, timeout=300)
        assert driven.returncode == 0, driven.stderr
        shown, from_file, asked, refused, every, health = json.loads(driven.stdout)
        assert "--venue" in shown[1] and "dblp: a dblp venue key." in shown[1], shown
        assert "dblp-json" in shown[1] and "dblp" in shown[1].split("Source to fetch:")[1].split(".")[0]
        assert from_file[0] == 0, from_file[2]
        assert json.loads(from_file[1])["new"] == 2 and json.loads(from_file[1])["source"] == "dblp"
        assert asked[0] == 0, asked[2]
        assert json.loads(asked[1])["new"] == 1
        assert refused[0] == 1 and "dblp does not take --issn (it takes --venue)" in refused[2]
        assert every[0] == 0, every[2]
        assert json.loads(every[1])["stream"] == "dblp:venue:conf-nips" and json.loads(every[1])["new"] == 1
        streams = {h["stream"]: (h["status"], h["configured"]) for h in json.loads(health[1]) if h["source"] == "dblp"}
        assert streams == {"dblp:venue:conf-nips": ("ok", True), "dblp:venue:conf-icml": ("ok", False)}
        assert [s.path for s in server.seen] == ["/search/conf-icml.json", "/search/conf-nips.json"]

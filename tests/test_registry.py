"""The one source registry: the harvester, the scheduler, health and the CLI all read it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from academichub.errors import InputError
from academichub.settings import load_settings
from academichub.worker import registry
from academichub.worker.registry import StreamOptions
from academichub.worker.streams import Stream, Window


def _settings(tmp_path):  # type: ignore[no-untyped-def]
    return load_settings(tmp_path, schedule={"enabled": False}, sources={
        "arxiv": {"categories": ["cs.CL"]}, "crossref": {"enabled": True, "issns": ["0028-0836"]},
        "openalex": {"enabled": True, "filters": ["primary_location.source.id:S137773608"]},
        "pubmed": {"enabled": True, "queries": ["ribosome"]},
        "biorxiv": {"enabled": True, "servers": ["biorxiv", "medrxiv"]},
        "journals": {"enabled": True, "feeds": ["nature"]}})


def test_every_enabled_stream_and_every_cli_name_resolves_to_one_entry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path)
    enabled = registry.configured(settings)
    assert [s.source for s in enabled] == ["arxiv", "crossref", "openalex", "pubmed", "biorxiv", "biorxiv", "journal"]
    assert all(registry.adapter(s) is registry.SOURCES[s.source].adapter for s in enabled)
    assert registry.CLI_NAMES == ("arxiv", "crossref", "openalex", "pubmed", "biorxiv", "medrxiv", "journal")
    options = StreamOptions(issn="0028-0836", query="ribosome", filter="x:y", feed="nature", categories=["cs.CL"])
    asked = {name: registry.asked(name, settings, options) for name in registry.CLI_NAMES}
    assert asked["medrxiv"].params == {"server": "medrxiv"} and asked["biorxiv"].params == {"server": "biorxiv"}
    assert asked["journal"].key == "journal:nature" and asked["arxiv"].params["categories"] == "cs.CL"
    assert {s.key for s in enabled} >= {asked[n].key for n in ("arxiv", "crossref", "pubmed", "journal")}


def test_an_unknown_source_and_missing_options_are_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path)
    with pytest.raises(InputError, match="unknown source 'dblp'; available: arxiv, crossref, openalex, pubmed, "
                                         "biorxiv, medrxiv, journal"):
        registry.asked("dblp", settings, StreamOptions())
    with pytest.raises(InputError, match="journal needs --feed"):
        registry.asked("journal", settings, StreamOptions())
    with pytest.raises(InputError, match="unknown arXiv method 'rss'"):
        registry.asked("arxiv", settings, StreamOptions(method="rss"))
    with pytest.raises(InputError, match="takes no --from/--to"):
        registry.check_window(registry.asked("journal", settings, StreamOptions(feed="nature")), Window(start=date(2025, 1, 1)))


def test_a_new_entry_is_all_it_takes_for_the_harvester_scheduler_and_cli(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # One entry, and configured() (scheduler, health, --all), asked() (ingest NAME), adapter() (the
    # harvester) and the windowless check all know the source: nothing else lists sources.
    feed = Stream("dblp:recent", "dblp", "dblp · recent")
    entry = replace(registry.SOURCES["journal"], name="dblp", names=(), enabled=lambda s: [feed],
                    asked=lambda name, s, o: feed)
    monkeypatch.setitem(registry.SOURCES, "dblp", entry)
    settings = _settings(tmp_path)
    assert registry.configured(settings)[-1] == feed
    assert registry.asked("dblp", settings, StreamOptions()) == feed and registry.adapter(feed) is entry.adapter
    with pytest.raises(InputError, match="today's feed"):
        registry.check_window(feed, Window(end=date(2025, 1, 1)))

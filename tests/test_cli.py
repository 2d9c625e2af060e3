"""The command line, run in-process through its real entry point."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from academichub.cli.main import main
from tests.conftest import DATA


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `academichub ARGS`; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


def test_follow_then_feed_lists_his_papers_first_and_next_never_repeats(
        capsys: pytest.CaptureFixture[str], sample_home: Path) -> None:
    home = ["--home", str(sample_home)]
    assert run(capsys, *home, "init")[0] == 0
    code, _, err = run(capsys, *home, "follow", "author", "Jianxiang He")
    assert code == 0 and "Following author 'Jianxiang He'" in err
    code, out, _ = run(capsys, *home, "feed", "--json")
    data = json.loads(out)
    assert code == 0 and data["batch"] == 1
    assert set(data["items"][0]) >= {"id", "title", "authors", "source_label", "date", "abstract", "reasons"}
    top = data["items"][:3]
    assert all("Jianxiang He" in item["authors"] and "作者: Jianxiang He" in item["reasons"] for item in top)
    shown = [item["id"] for item in data["items"]]
    for _ in range(20):
        code, out, _ = run(capsys, *home, "feed", "--next", "--json")
        shown += [item["id"] for item in json.loads(out)["items"]]
    assert len(shown) == len(set(shown)) == 210


def test_init_loads_the_sample_into_an_empty_home(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACADEMICHUB_HOME", str(tmp_path / "via-env"))
    code, _, err = run(capsys, "init")
    assert code == 0 and "Loaded 4223 papers" in err and (tmp_path / "via-env" / "academichub.db").exists()
    assert "the demo radar follows Jianxiang He" in " ".join(err.split())  # the product's first screen, not an empty one
    code, out, _ = run(capsys, "following", "--json")
    assert [(s["kind"], s["value"]) for s in json.loads(out)] == [("author", "Jianxiang He")]
    assert run(capsys, "unfollow", "author", "Jianxiang He")[0] == 0
    code, _, err = run(capsys, "init")  # a second init loads nothing more, and never brings the chip back
    assert code == 0 and "Loaded" not in err and "4223 papers" in err
    assert json.loads(run(capsys, "following", "--json")[1]) == []


def test_scripts_run_prints_its_help_without_installing() -> None:
    import subprocess

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([str(root / "scripts" / "run"), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("Usage: scripts/run")
    assert "--port" in done.stdout and "Installing" not in done.stderr


def test_ingest_file_prints_the_report_and_is_idempotent(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    rss = str(DATA / "arxiv_listing/rss_2025-04-04.xml")
    code, out, _ = run(capsys, *home, "ingest", "--file", rss, "--json")
    report = json.loads(out)
    assert code == 0 and {"source", "fetched", "new", "updated", "merged", "rejected", "errors"} <= set(report)
    assert (report["fetched"], report["new"], report["errors"]) == (88, 88, [])
    code, out, _ = run(capsys, *home, "ingest", "--file", rss, "--format", "arxiv-listing", "--json")
    assert json.loads(out)["new"] == 0 and json.loads(out)["unchanged"] == 88
    code, out, _ = run(capsys, *home, "search", "identity linkage", "--json")
    assert json.loads(out)["items"][0]["id"] == "arxiv:2504.01979"


@pytest.mark.parametrize("args, code, message", [
    (["--bogus"], 2, "error: No such option: --bogus"),
    (["feed", "--colour"], 2, "No such option: --colour"),
    (["ingest", "--file", "/no/such/file.xml"], 1, "ingest: cannot read /no/such/file.xml: no such file"),
    (["ingest", "--file", "/dev/zero"], 1, "cannot read /dev/zero: not a regular file (a pipe or a device)"),
    (["library", "import", "/dev/null"], 1, "cannot read /dev/null: not a regular file"),  # was "no such file"
    (["ingest", "--file", str(DATA / "PROVENANCE.md")], 1, "cannot tell the format"),
    (["ingest", "--file", str(DATA / "PROVENANCE.md"), "--format", "csv"], 1, "unknown format 'csv'"),
    (["ingest", "elsevier"], 1, "unknown source 'elsevier'"),
    (["ingest", "arxiv", "--from", "2025-13-40"], 1, "--from: expected YYYY-MM-DD"),
    (["feed", "--period", "fortnight"], 1, "unknown period 'fortnight'"),
    (["follow", "category", "not a category"], 1, "not an arXiv category"),
    (["unfollow", "author", "Nobody"], 1, "not following author 'Nobody'"),
    (["serve", "--port", "80000"], 2, "Invalid value for '--port'"),  # uvicorn said it ran on it
    # Forked until the machine ran out of memory (and swapped for twenty minutes).
    (["serve", "--workers", "100000"], 2, "Invalid value for '--workers': Input should be less than or equal to 64"),
    (["up", "--workers", "65"], 2, "Invalid value for '--workers'"),
    (["worker", "--processes", "1000"], 2, "Invalid value for '--processes'"),
    (["worker", "--threads", "65"], 2, "Invalid value for '--threads'"),
    (["deliver", "remove", "99999999999999999999"], 2, "Invalid value for 'delivery_id'"),  # an OverflowError
    (["export", "--briefing", "99999999999999999999"], 2, "Invalid value for '--briefing'"),
    (["brief", "--radar", "99999999999999999999"], 1, "radars: no radar '99999999999999999999'"),
])
def test_bad_input_gives_one_line_and_a_nonzero_exit(capsys: pytest.CaptureFixture[str], sample_home: Path,
                                                     args: list[str], code: int, message: str) -> None:
    exit_code, out, err = run(capsys, "--home", str(sample_home), *args)
    assert exit_code == code and message in err
    assert err.count("\n") == 1 and err.startswith("academichub: ") and "Traceback" not in err


def test_a_data_directory_or_database_that_cannot_be_used_is_named_in_one_line(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    for home, url, message in [
        (tmp_path / "a-file", None, f"storage: the data directory {tmp_path / 'a-file'} is a file, not a directory"),
        (Path("/proc/academichub-test"), None, "/proc/academichub-test: No such file or directory"),
        (tmp_path / "home", "mysql://reader@db/academichub", "storage: unsupported database URL 'mysql://reader@db/"),
    ]:
        if url:
            monkeypatch.setenv("ACADEMICHUB_DATABASE_URL", url)
        code, _, err = run(capsys, "--home", str(home), "feed")
        assert code == 1 and err.startswith(f"academichub: {message}"), err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_invalid_setting_in_the_environment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setenv("ACADEMICHUB_FEED__BATCH_SIZE", "0")
    code, _, err = run(capsys, "--home", str(tmp_path), "feed")
    assert code == 2 and err.startswith("academichub: invalid setting feed.batch_size")


@pytest.mark.parametrize(("variable", "value", "setting"), [
    ("ACADEMICHUB_SCHEDULE__TIMEZONE", "Mars/Olympus", "schedule.timezone"),  # `up` stopped with a traceback
    ("ACADEMICHUB_PUBLIC_URL", "radar.example.org", "public_url"),  # every link in e-mails and feeds was relative
])
def test_a_setting_that_cannot_work_is_refused_in_one_line(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           variable: str, value: str, setting: str) -> None:
    monkeypatch.setenv(variable, value)
    code, _, err = run(capsys, "--home", str(tmp_path), "feed")
    assert code == 2 and err.startswith(f"academichub: invalid setting {setting}") and value in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", ["feed", "worker"])
def test_a_broker_url_that_is_not_redis_is_refused_in_one_line(capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                command: str) -> None:
    monkeypatch.setenv("ACADEMICHUB_BROKER_URL", "localhost:6379")  # `worker` stopped with redis-py's traceback
    code, _, err = run(capsys, "--home", str(tmp_path), command)
    assert code == 2 and err.startswith("academichub: invalid setting broker_url") and "redis://" in err
    assert err.count("\n") == 1


def test_a_settings_file_that_is_not_toml_is_named_in_one_line(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("[feed]\nbatch_size = [1, 2\n")
    code, _, err = run(capsys, "--home", str(tmp_path), "feed")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"academichub: settings: {tmp_path / 'settings.toml'} is not valid TOML: ")


def test_the_feed_table_speaks_the_readers_language(capsys: pytest.CaptureFixture[str], sample_home: Path) -> None:
    from academichub.compose import Accounts, Store
    from tests.conftest import make_settings

    home = ["--home", str(sample_home)]
    assert run(capsys, *home, "follow", "author", "Jianxiang He")[0] == 0
    with Store.open(make_settings(sample_home)) as store:  # the account page's setting: English
        accounts = Accounts(store)
        accounts.set_language(accounts.local_reader()[0].id, "en")
    _, out, _ = run(capsys, *home, "feed")
    flat = " ".join(out.split())
    # The reasons were the install's Chinese ("作者: Jianxiang He") under English headings.
    assert "Author: Jianxiang He" in flat or "Author: Jianxiang" in flat, out
    assert "作者" not in out and "Batch 1" in out and "Why shown" in flat
    _, out, _ = run(capsys, *home, "feed", "--lang", "zh")  # named for the run: Chinese, headings too
    assert "作者" in out and "第 1 批" in out and "推荐理由" in out and "Why" not in out


def test_what_a_command_prints_is_never_read_as_markup(capsys: pytest.CaptureFixture[str], sample_home: Path) -> None:
    # A followed keyword "[/]…" stopped `follow` with Rich's MarkupError traceback (the chip was
    # added), and "[bold red]shout" was printed as "shout".
    home = ["--home", str(sample_home)]
    code, _, err = run(capsys, *home, "follow", "keyword", "c [/] d")
    assert code == 0 and "Following keyword 'c [/] d'" in err
    assert "No stored paper matches it yet" in err  # said as the page says it
    assert "No stored paper matches" not in run(capsys, *home, "follow", "keyword", "galaxy")[2]
    code, _, err = run(capsys, *home, "follow", "keyword", "[bold red]shout")
    assert code == 0 and "Following keyword '[bold red]shout'" in err
    code, out, _ = run(capsys, *home, "following")
    assert "[bold red]shout" in out and "c [/] d" in out
    code, out, _ = run(capsys, *home, "search", "unlearning", "--limit", "1", "--mode", "text")
    assert re.search(r" 1\. \[arXiv \([A-Z.-]+\)\] 2025-", out) and "\\[" not in out  # labels as written, unescaped
    code, out, _ = run(capsys, *home, "search", "arXiv:2508.06869v1")  # a paper named by its id: one result
    assert out.startswith("1 result\n") and "(arxiv:2508.06869)" in out
    code, _, err = run(capsys, *home, "unfollow", "keyword", "[bold red]shout")
    assert code == 0 and "No longer following keyword '[bold red]shout'" in err


def test_an_empty_export_says_why_it_is_empty(capsys: pytest.CaptureFixture[str], sample_home: Path) -> None:
    # `export --saved` with nothing saved printed an empty line and nothing else.
    code, out, err = run(capsys, "--home", str(sample_home), "export", "--saved", "--format", "csl-json")
    assert code == 0 and json.loads(out) == [] and "your saved list is empty" in err
    assert run(capsys, "--home", str(sample_home), "feedback", "save", "arxiv:2508.06869")[0] == 0
    code, out, err = run(capsys, "--home", str(sample_home), "export", "--saved", "--format", "csl-json")
    assert code == 0 and len(json.loads(out)) == 1 and err == ""


def test_settings_file_in_the_home(capsys: pytest.CaptureFixture[str], sample_home: Path) -> None:
    (sample_home / "settings.toml").write_text("[feed]\nbatch_size = 3\n")
    code, out, _ = run(capsys, "--home", str(sample_home), "feed", "--json", "--lang", "en")
    assert code == 0 and len(json.loads(out)["items"]) == 3


def test_live_fetch_without_network_reports_a_classified_error(capsys: pytest.CaptureFixture[str],
                                                               sample_home: Path) -> None:
    (sample_home / "settings.toml").write_text(
        '[sources.arxiv]\nbase_url = "http://127.0.0.1:9"\nmin_interval = 0\n'
        '[sources.http]\nretries = 0\ntimeout = 2\n')
    code, out, err = run(capsys, "--home", str(sample_home), "ingest", "arxiv", "--json")
    report = json.loads(out)
    assert code == 1 and report["errors"][0]["kind"] == "network"
    assert report["errors"][0]["message"].startswith("arxiv-listing: network error")


def test_serve_shows_the_port_it_runs_on(sample_home: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    import httpx

    from tests.browser import free_port

    port = free_port()
    env = {**os.environ, "ACADEMICHUB_HOME": str(sample_home)}
    command = Path(sys.executable).with_name("academichub")
    server = subprocess.Popen([str(command), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/admin?lang=en", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.3)
        assert page.status_code == 200 and f"&#34;port&#34;: {port}," in page.text  # not the default 8000
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("command", ["serve", "up"])
def test_an_address_in_use_is_refused_before_anything_starts(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                             command: str) -> None:
    # `up` made the store, started its scheduler and the app, and only then did uvicorn fail to
    # bind, with its own error line between INFO lines.
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run(capsys, "--home", str(tmp_path / "home"), command, "--port", str(port))
    assert code == 1 and err == (f"academichub: serve: 127.0.0.1:{port} is in use already (is AcademicHub "
                                 "running there?); choose another with --port\n")
    assert not (tmp_path / "home" / "academichub.db").exists()  # nothing was made for a server that cannot run


def test_an_init_that_stopped_half_way_is_finished_by_the_next(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # On a disk that filled up, `init` stopped with a traceback after 2,600 of the sample's 4,223
    # papers; the next `init` found the store not empty and left it so, with no features at all.
    import sqlalchemy as sa

    from academichub.ingest import pipeline
    from academichub.search import papers as stored_papers
    from academichub.settings import load_settings
    from academichub.storage.schema import work_features
    from academichub.storage.store import Store

    home = tmp_path / "home"
    real_write = pipeline._Batch.write
    written: list[int] = []

    def full_disk(self, papers):  # type: ignore[no-untyped-def]
        if len(written) == 2:
            raise sa.exc.OperationalError("INSERT …", {}, Exception("database or disk is full"))
        written.append(len(papers))
        return real_write(self, papers)

    monkeypatch.setattr(pipeline._Batch, "write", full_disk)
    code, _, err = run(capsys, "--home", str(home), "init")
    assert code == 1 and err == "academichub: storage: the database refused: database or disk is full\n"
    monkeypatch.setattr(pipeline._Batch, "write", real_write)
    code, _, err = run(capsys, "--home", str(home), "init")
    assert code == 0 and "4223 papers" in err
    with Store.open(load_settings(home)) as store:
        assert stored_papers.holdings(store)[0] == 4223 and store.index.count() == 4223
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(work_features)).scalar() == 4223


def _float_settings(model: type, prefix: str = "") -> list[str]:
    """Dotted names of every float setting, in every group and every source's group."""
    from pydantic import BaseModel

    names = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            names += _float_settings(kind, f"{prefix}{name}.")
        elif kind is float:
            names.append(prefix + name)
    return names


def test_no_number_setting_may_be_infinite_or_nan(tmp_path: Path) -> None:
    """`auth.session_days = inf` (or 1e7) was accepted at start; then every sign-up and sign-in
    answered 500 (the session's end overflowed the calendar), and an infinite backoff or timeout
    would stall a worker for ever."""
    from pydantic import ValidationError

    from academichub.settings import Settings, load_settings

    names = _float_settings(Settings)
    timed = {"auth.session_days", "auth.failure_window_minutes", "llm.timeout", "llm.max_seconds", "delivery.backoff",
             "sources.arxiv.min_interval", "sources.http.timeout", "sources.journals.cadence_hours",
             "broker_heartbeat_seconds", "ranking.half_life_days", "smtp.timeout", "embedding.timeout"}
    assert timed <= set(names)
    # Times and counts of days also have an end: 1e300 seconds or 10^9 days overflow as infinity does.
    trials = [(name, value) for name in names for value in (math.inf, math.nan, *([1e300] if name in timed else []))]
    trials += [(name, 10**9) for name in ("feed.author_lookback_days", "sources.arxiv.stale_after_days",
                                          "sources.crossref.stale_after_days")]
    for name, value in trials:
        *groups, leaf = name.split(".")
        override: dict = {leaf: value}
        for group in reversed(groups):
            override = {group: override}
        with pytest.raises(ValidationError) as refused:
            load_settings(tmp_path, **override)
        assert [".".join(map(str, e["loc"])) for e in refused.value.errors()] == [name], (name, value)


def test_sign_up_works_with_the_longest_session_allowed(sample_home: Path) -> None:
    from fastapi.testclient import TestClient

    from academichub.web.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(sample_home, auth={"mode": "accounts", "session_days": 3650,
                                                "failure_window_minutes": 10080})
    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get("/signup").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        response = client.post("/signup", data={"name": "longstay", "password": "a long enough password",
                                                "csrf": csrf})
        assert response.status_code == 303 and "Max-Age=315360000" in response.headers["set-cookie"]
        assert client.get("/").status_code == 200


def test_an_argument_that_is_no_utf8_is_refused_unless_it_names_a_file(capsys: pytest.CaptureFixture[str],
                                                                       sample_home: Path, tmp_path: Path) -> None:
    """Bytes a shell passes that are no UTF-8 reach Python as lone surrogates: `search` stopped with
    a tokenizer's TypeError and `token create --user` with SQLite's UnicodeEncodeError."""
    wrong = b"bad\xffname".decode("utf-8", "surrogateescape")
    for args in (("search", wrong), ("token", "create", "--user", wrong), ("follow", "keyword", wrong)):
        code, _, err = run(capsys, "--home", str(sample_home), *args)
        assert code == 2 and err == "academichub: error: the argument b'bad\\xffname' is not UTF-8 text (nor an existing file's name)\n"
    library = tmp_path / (b"latin-1 biblioth\xe8que.bib".decode("utf-8", "surrogateescape"))
    library.write_text("@article{a, title={Stable Islands of Weak Gravity}, eprint={2508.05729}, archivePrefix={arXiv}}\n")
    code, _, err = run(capsys, "--home", str(sample_home), "library", "import", str(library))
    assert code == 0, err  # a file's name in another encoding is still its name (SQLite refused to store it)
    code, out, _ = run(capsys, "--home", str(sample_home), "library", "list", "--json")
    assert "latin-1 biblioth\ufffdque.bib" in {source["source"] for source in json.loads(out)}


def test_library_import_says_what_it_skipped_and_why_in_words(capsys: pytest.CaptureFixture[str],
                                                               sample_home: Path, tmp_path: Path) -> None:
    library = tmp_path / "hand.bib"  # printed as a Python dict: "skipped: {'unparsable BibTeX block': 1}"
    library.write_text("@string{pre = {Stable}}\n@article{a, title = pre # { Islands of Weak Gravity},\n"
                       " author = {Ann Lee}, eprint = {2508.05729}}\n@article{b, title = {Cut\n")
    code, out, err = run(capsys, "--home", str(sample_home), "library", "import", str(library))
    assert code == 0, err
    said = " ".join(out.split())
    assert "1 item imported" in said and "matched to stored papers: 1 by arxiv" in said
    assert "skipped: 1 (unparsable BibTeX block)" in said
    assert "Parsing of" not in err  # bibtexparser's own warning, beside the report, is gone
    code, out, _ = run(capsys, "--home", str(sample_home), "library", "list", "--source", "hand.bib", "--json")
    assert code == 0 and json.loads(out) == [{"title": "Stable Islands of Weak Gravity", "year": None,
                                              "match": "arxiv", "paper": "arxiv:2508.05729"}]
    code, out, _ = run(capsys, "--home", str(sample_home), "library", "list", "--source", "hand.bib")
    assert " ".join(out.split()) == "Stable Islands of Weak Gravity — arxiv:2508.05729, by arxiv"
    code, _, err = run(capsys, "--home", str(sample_home), "library", "list", "--source", "other.bib")
    assert code == 1 and "no imported source 'other.bib'" in err


@pytest.mark.parametrize("name, value, message", [
    # A typo was ignored without a word: the install ran on SQLite instead of the PostgreSQL it named.
    ("ACADEMICHUB_DATABSE_URL", "postgresql://127.0.0.1/test",
     "the environment variable ACADEMICHUB_DATABSE_URL is not a setting (did you mean ACADEMICHUB_DATABASE_URL?)"),
    ("ACADEMICHUB_FEDD__RECENT_DAYS", "3", "ACADEMICHUB_FEDD__RECENT_DAYS is not a setting"),
    ("ACADEMICHUB_RANKING__MIN_POSTIVES", "3",
     "invalid setting ranking.min_postives: there is no such setting (did you mean ranking.min_positives?)"),
])
def test_a_setting_that_does_not_exist_is_refused_by_name(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                                          message: str) -> None:
    monkeypatch.setenv(name, value)
    code, _, err = run(capsys, "--home", str(tmp_path / "home"), "sources")
    assert code != 0 and message in err and err.count("\n") == 1


def test_a_settings_files_unknown_key_is_refused_and_other_variables_pass(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "settings.toml").write_text("[sources.arxiv]\ncategoriez = ['cs.AI']\n")
    monkeypatch.setenv("ACADEMICHUB_SETTINGS_FILE", str(tmp_path / "settings.toml"))
    code, _, err = run(capsys, "--home", str(tmp_path / "home"), "sources")
    assert code == 2 and "sources.arxiv.categoriez: there is no such setting (did you mean sources.arxiv.categories?)" in err
    monkeypatch.delenv("ACADEMICHUB_SETTINGS_FILE")
    for name, value in (("ACADEMICHUB_LLM_MODEL", "m"), ("ACADEMICHUB_TEST_ANYTHING", "1"), ("ACADEMICHUB_PORT", "8001")):
        monkeypatch.setenv(name, value)
    assert run(capsys, "--home", str(tmp_path / "home"), "sources")[0] == 0

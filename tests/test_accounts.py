"""Accounts mode: passwords, sessions, CSRF, rate limits, tokens, radars, isolation between readers,
private RSS/Atom feeds, admin, and a valid OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from academichub.auth import service as auth
from academichub.errors import AuthError, InputError, NotFoundError, TooManyAttemptsError
from academichub.settings import AuthSettings
from academichub.storage.store import Store
from academichub.web.app import create_app
from tests.concurrency import allowed, at_once
from tests.conftest import make_settings
from tests.test_cli import run

PASSWORD = "correct horse battery"
RULES = AuthSettings(mode="accounts", max_failures=3)


@pytest.mark.real_argon2
def test_passwords_are_argon2id_and_sign_in_is_rate_limited(store: Store) -> None:
    user = auth.add_user(store, "ada", PASSWORD, RULES)
    defaults = PasswordHasher()  # the library's recommended parameters, not a weaker choice of ours
    assert store.auth.credentials("ada")[1].startswith(
        f"$argon2id$v=19$m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}$")
    signed, session = auth.sign_in(store, "ada", PASSWORD, "10.0.0.1", RULES)
    assert signed.id == user.id and store.auth.session_user(session) == user.id
    store.auth.end_session(session)
    assert store.auth.session_user(session) is None
    for _ in range(3):
        with pytest.raises(AuthError, match="wrong user name or password"):
            auth.sign_in(store, "ada", "not the password", "10.0.0.2", RULES)
    with pytest.raises(TooManyAttemptsError):  # that address waits now, even with the right password
        auth.sign_in(store, "ada", PASSWORD, "10.0.0.2", RULES)
    auth.sign_in(store, "ada", PASSWORD, "10.0.0.3", RULES)  # the reader elsewhere is not locked out
    with pytest.raises(AuthError):  # an unknown name fails the same way (and counts too)
        auth.sign_in(store, "nobody", PASSWORD, "10.0.0.4", RULES)
    with pytest.raises(InputError, match="at least 10"):
        auth.add_user(store, "bob", "short", RULES)
    with pytest.raises(InputError, match="taken"):
        auth.add_user(store, "ada", PASSWORD, RULES)
    with pytest.raises(InputError, match="cannot be a user name"):
        auth.add_user(store, "local", PASSWORD, RULES)


def _sign_ups_at_once(store: Store, attempts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Sign each (name, password) up in its own thread, all released together; those that got an
    account (the others must have been told the name is taken)."""
    made = at_once(lambda attempt: allowed(lambda: auth.add_user(store, *attempt, RULES), "taken"), attempts)
    return [attempt for attempt, ok in zip(attempts, made, strict=True) if ok]


def test_two_sign_ups_of_one_name_at_once_make_one_account(store: Store) -> None:
    # Both saw the name free; the second's insert failed on the unique key and it was handed the
    # first one's account, whose password it then set: it signed in as them, and they could not.
    passwords = [f"{PASSWORD} {n}" for n in range(6)]
    winners = [password for _name, password in _sign_ups_at_once(store, [("grace", p) for p in passwords])]
    assert len(winners) == 1
    auth.sign_in(store, "grace", winners[0], "10.1.0.1", RULES)
    for other in set(passwords) - set(winners):
        with pytest.raises(AuthError):
            auth.sign_in(store, "grace", other, "10.1.0.2", RULES)


def test_a_password_that_cannot_be_typed_in_makes_no_account(store: Store) -> None:
    """`user add --password-stdin` fed bytes that are no UTF-8 (read as lone surrogates) created the
    user, then failed hashing: an account without a password, and a traceback. A 5,000-character
    password was kept that the sign-in form (1,000 at most) can never send."""
    for password, problem in ((b"\xff\xfe long long password".decode("utf-8", "surrogateescape"), "not UTF-8 text"),
                              ("p" * 1001, "longer than 1000 characters")):
        with pytest.raises(InputError, match=problem):
            auth.add_user(store, "heidi", password, RULES)
        assert store.accounts.find_user("heidi") is None
    auth.add_user(store, "heidi", "p" * 1000, RULES)
    assert auth.sign_in(store, "heidi", "p" * 1000, "10.3.0.1", RULES)[0].name == "heidi"


def test_user_names_are_one_whatever_their_case(store: Store) -> None:
    # "Ada" beside "ada" was a second account another reader could pass for them with, and "Ada"
    # could not sign "ada" in. Six sign-ups in six spellings at once: one account.
    spellings = ["ada", "Ada", "ADA", "aDa", "adA", "AdA"]
    made = [name for name, _password in _sign_ups_at_once(store, [(n, PASSWORD) for n in spellings])]
    assert len(made) == 1
    for spelling in spellings:
        user, _session = auth.sign_in(store, spelling, PASSWORD, "10.2.0.1", RULES)
        assert user.name == made[0]
        assert store.accounts.find_user(spelling).id == user.id


def test_private_feed_urls_made_at_once_leave_one_live(store: Store) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import sqlalchemy as sa

    from academichub.storage.schema import feed_tokens

    user = auth.add_user(store, "hopper", PASSWORD, RULES)
    radar = store.accounts.default_radar(user.id)
    store.auth.create_feed_token(radar.id)  # an earlier URL, revoked by whichever comes next
    barrier = threading.Barrier(6)

    def make(_: int) -> str:
        barrier.wait()
        return store.auth.create_feed_token(radar.id)
    with ThreadPoolExecutor(6) as pool:
        made = list(pool.map(make, range(6)))
    live = [token for token in made if store.auth.feed_token_radar(token) == radar.id]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).where(feed_tokens.c.radar_id == radar.id,
                                                             feed_tokens.c.revoked_at.is_(None))).scalar()
    assert rows == 1 and len(live) == 1  # the newest URL works; every earlier one was revoked


def test_api_and_feed_tokens_are_stored_hashed_and_revocable(store: Store) -> None:
    user = auth.add_user(store, "ada", PASSWORD, RULES)
    token = store.auth.create_api_token(user.id, "laptop")
    assert store.auth.api_token_user(token) == user.id
    listed = store.auth.api_tokens(user.id)
    assert [(t.name, t.prefix, t.revoked) for t in listed] == [("laptop", token[:10], False)]
    assert listed[0].last_used_at is not None
    import sqlalchemy as sa
    with store.engine.connect() as conn:
        assert token not in str(conn.execute(sa.text("SELECT * FROM api_tokens")).fetchall())
    assert store.auth.revoke_api_token(user.id, listed[0].id)
    assert store.auth.api_token_user(token) is None
    radar = store.accounts.default_radar(user.id)
    first = store.auth.create_feed_token(radar.id)
    second = store.auth.create_feed_token(radar.id)  # a new URL retires the old one
    assert store.auth.feed_token_radar(first) is None and store.auth.feed_token_radar(second) == radar.id
    assert store.auth.revoke_feed_tokens(radar.id) == 1 and store.auth.feed_token_radar(second) is None


@pytest.fixture
def site(sample_home: Path) -> Iterator[TestClient]:
    settings = make_settings(sample_home, auth={"mode": "accounts"}, llm={"api_key": "sk-very-secret"})
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def form_token(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(path).text).group(1)


def sign_up(client: TestClient, name: str) -> None:
    response = client.post("/signup", data={"name": name, "password": PASSWORD, "csrf": form_token(client, "/signup")})
    assert response.status_code == 303, response.text


def test_pages_need_a_sign_in_and_the_api_a_credential(site: TestClient) -> None:
    assert site.get("/").headers["location"] == "/login?next=%2F"
    assert site.get("/briefings?x=1").headers["location"] == "/login?next=%2Fbriefings%3Fx%3D1"
    unauthorised = site.get("/api/v1/feed")
    assert unauthorised.status_code == 401 and unauthorised.json()["error"]["code"] == "unauthorized"
    assert site.get("/api/v1/feed", headers={"Authorization": "Bearer ahk_wrong"}).status_code == 401
    assert site.get("/api/v1/health").status_code == 200  # monitoring needs no account
    no_token = site.post("/signup", data={"name": "eve", "password": PASSWORD, "csrf": "0" * 64})
    assert no_token.status_code == 403 and site.cookies.get("ah_session") is None


def test_sign_up_sign_in_sign_out(site: TestClient) -> None:
    sign_up(site, "ada")
    cookie = next(c for c in site.cookies.jar if c.name == "ah_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure  # plain http: no Secure flag
    page = site.get("/")
    assert page.status_code == 200 and "ada" in page.text
    logout = site.post("/logout", data={"csrf": re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)})
    assert logout.status_code == 303 and site.get("/").status_code == 303
    wrong = site.post("/login", data={"name": "ada", "password": "nope", "csrf": form_token(site, "/login")})
    assert wrong.status_code == 401 and "用户名或密码错误。" in wrong.text  # the install's language, zh
    right = site.post("/login", data={"name": "ada", "password": PASSWORD, "next": "/briefings",
                                      "csrf": form_token(site, "/login")})
    assert right.status_code == 303 and right.headers["location"] == "/briefings"


def test_a_refused_sign_up_or_sign_in_is_said_in_the_readers_language(site: TestClient) -> None:
    # The forms said why in the service's English on a Chinese page: "the name 'ada' is taken",
    # "wrong user name or password", "form expired; try again".
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    sign_up(site, "ada")
    site.post("/logout", data={"csrf": re.search(r'name="csrf" value="([0-9a-f]+)"', site.get("/").text).group(1)})
    cases = [("/signup", {"name": "ada", "password": PASSWORD}, 400, "该用户名已被占用。"),
             ("/signup", {"name": "名字", "password": PASSWORD}, 400, "用户名由 2 到 63 个字母"),
             ("/signup", {"name": "bea", "password": "short"}, 400, "密码至少需要 10 个字符。"),
             ("/login", {"name": "ada", "password": "not the password"}, 401, "用户名或密码错误。")]
    for path, data, status, said in cases:
        page = site.post(path, data={**data, "csrf": form_token(site, path)}, headers=chinese)
        assert page.status_code == status and said in page.text, (path, data, page.text[-800:])
        assert "accounts:" not in page.text and "is taken" not in page.text
    expired = site.post("/login", data={"name": "ada", "password": PASSWORD, "csrf": "0" * 64}, headers=chinese)
    assert expired.status_code == 403 and "此表单已过期" in expired.text
    english = site.post("/signup", data={"name": "ada", "password": PASSWORD, "csrf": form_token(site, "/signup")},
                        headers={"Accept-Language": "en"})
    assert "That user name is taken." in english.text


def test_a_reader_changes_their_password_and_their_other_sessions_end(site: TestClient, sample_home: Path) -> None:
    # There was no way to change a password at all, nor to end a session left on another computer.
    sign_up(site, "ada")
    settings = make_settings(sample_home, auth={"mode": "accounts"})
    with TestClient(create_app(settings), follow_redirects=False) as laptop:
        laptop.post("/login", data={"name": "ada", "password": PASSWORD, "csrf": form_token(laptop, "/login")})
        assert laptop.get("/account").status_code == 200
        page = site.get("/account")
        assert 'action="/account/password"' in page.text and 'autocomplete="current-password"' in page.text
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
        new = "a new and longer phrase"

        def change(current: str, new_password: str, repeat: str) -> object:
            return site.post("/account/password", data={"csrf": token, "current": current, "new": new_password,
                                                         "repeat": repeat})

        differ = change(PASSWORD, new, new + "x")
        assert differ.status_code == 400 and "两次输入的新密码不一致" in differ.text
        wrong = change("not the password", new, new)
        assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
        short = change(PASSWORD, "short", "short")
        assert short.status_code == 400 and "密码至少需要 10 个字符" in short.text
        assert laptop.get("/account").status_code == 200  # nothing changed yet
        done = change(PASSWORD, new, new)
        assert done.status_code == 200 and "密码已修改" in done.text and "1 个" in done.text
        assert site.get("/account").status_code == 200  # the session that changed it stays
        assert laptop.get("/account").status_code == 303  # the other one is signed out
        old = laptop.post("/login", data={"name": "ada", "password": PASSWORD, "csrf": form_token(laptop, "/login")})
        assert old.status_code == 401
        again = laptop.post("/login", data={"name": "ada", "password": new, "csrf": form_token(laptop, "/login")})
        assert again.status_code == 303


def test_guessing_the_current_password_is_throttled_like_a_sign_in(store: Store) -> None:
    # A stolen session cookie must not become a way to guess the password without the sign-in's waits.
    user = auth.add_user(store, "ada", PASSWORD, RULES)
    for _ in range(3):
        with pytest.raises(AuthError):
            auth.change_password(store, user, "a wrong guess", "a new and longer phrase", "10.0.0.9", RULES)
    with pytest.raises(TooManyAttemptsError):
        auth.change_password(store, user, PASSWORD, "a new and longer phrase", "10.0.0.9", RULES)
    auth.sign_in(store, "ada", PASSWORD, "10.0.0.10", RULES)  # unchanged, and the reader is not locked out


def test_an_administrator_resets_a_password_and_deletes_a_user_from_the_cli(sample_home: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    home = ("--home", str(sample_home))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert run(capsys, *home, "user", "add", "dora", "--password-stdin")[0] == 0
    with Store.open(make_settings(sample_home)) as store:
        _user, session = auth.sign_in(store, "dora", PASSWORD, "10.0.0.1", RULES)
    monkeypatch.setattr("sys.stdin", io.StringIO("dora's new phrase\n"))
    code, _out, err = run(capsys, *home, "user", "password", "dora", "--password-stdin")
    assert code == 0 and "1 session(s) signed out" in err
    with Store.open(make_settings(sample_home)) as store:
        assert store.auth.session_user(session) is None
        with pytest.raises(AuthError):
            auth.sign_in(store, "dora", PASSWORD, "10.0.0.2", RULES)
        auth.sign_in(store, "dora", "dora's new phrase", "10.0.0.2", RULES)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _out, err = run(capsys, *home, "user", "password", "dora", "--password-stdin")
    assert code == 1 and "at least 10 characters" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _out, err = run(capsys, *home, "user", "password", "nobody", "--password-stdin")
    assert code == 1 and "no user 'nobody'" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))  # asked to confirm, and said no
    assert run(capsys, *home, "user", "delete", "dora")[0] == 1
    with Store.open(make_settings(sample_home)) as store:
        assert store.accounts.find_user("dora") is not None
    code, _out, err = run(capsys, *home, "user", "delete", "dora", "--yes")
    assert code == 0 and "Deleted 'dora'" in err
    with Store.open(make_settings(sample_home)) as store:
        assert store.accounts.find_user("dora") is None
    assert run(capsys, *home, "user", "delete", "dora", "--yes")[0] == 1


def test_deleting_a_reader_removes_all_that_is_theirs_and_nothing_else(store: Store) -> None:
    # A reader who left a lab could not be removed: their account, radars and library stayed.
    import sqlalchemy as sa

    from academichub.compose import Accounts
    from academichub.ingest.pipeline import ingest
    from academichub.library.importer import import_items
    from academichub.library.items import LibraryItem
    from academichub.model import Paper
    from academichub.storage import schema

    admin = auth.add_user(store, "root", PASSWORD, RULES, admin=True)
    ada, bob = auth.add_user(store, "ada", PASSWORD, RULES), auth.add_user(store, "bob", PASSWORD, RULES)
    ingest(store, [Paper(title="One paper", source="arxiv", arxiv_id="2509.00001")], source="arxiv")
    work_id = store.works.id_for_public("arxiv:2509.00001")
    accounts = Accounts(store)
    for user in (ada, bob):
        accounts.new_radar(user.id, "watch list")
        store.feedback.add(user.id, work_id, "like")
        import_items(store, None, user.id, [LibraryItem("k", "One paper")], source="mine.bib", fmt="bibtex")
        accounts.new_api_token(user.id, "cli")
    _user, session = auth.sign_in(store, "ada", PASSWORD, "10.0.0.1", RULES)
    token = accounts.new_api_token(ada.id, "laptop")

    def owned(user_id: int) -> dict[str, int]:
        with store.engine.connect() as conn:
            return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.user_id == user_id)).scalar()
                    for t in (schema.radars, schema.feedback, schema.library_items, schema.api_tokens, schema.sessions)}

    assert all(owned(ada.id).values()) and all(v for k, v in owned(bob.id).items() if k != "sessions")
    before_bob = owned(bob.id)
    accounts.delete_reader(ada.id)
    assert set(owned(ada.id).values()) == {0}
    assert owned(bob.id) == before_bob and store.works.count() == 1  # the papers are the install's
    assert accounts.signed_in(session) is None and accounts.bearer(token) is None
    with pytest.raises(AuthError):
        auth.sign_in(store, "ada", PASSWORD, "10.0.0.1", RULES)
    with pytest.raises(NotFoundError):
        accounts.delete_reader(ada.id)
    with pytest.raises(InputError, match="last administrator"):
        accounts.delete_reader(admin.id)
    auth.add_user(store, "ada", PASSWORD, RULES)  # the name is free again


def test_two_administrators_deleted_at_once_leave_one(store: Store) -> None:
    from academichub.compose import Accounts
    admins = [auth.add_user(store, f"admin{n}", PASSWORD, RULES, admin=True) for n in range(2)]
    deleted = at_once(lambda user_id: allowed(lambda: Accounts(store).delete_reader(user_id), "last administrator"),
                      [a.id for a in admins])
    outcomes = sorted("deleted" if d else "refused" for d in deleted)
    assert outcomes == ["deleted", "refused"]
    assert sum(Accounts(store).is_admin(a.id) for a in admins) == 1


def test_a_reader_has_at_most_the_radar_limit_even_when_radars_are_made_at_once(store: Store) -> None:
    # Every page lists the reader's radars: 2,000 made each page 180 KB.
    from academichub.storage.accounts import MAX_RADARS
    assert MAX_RADARS == 100
    user = auth.add_user(store, "ada", PASSWORD, RULES)
    store.accounts.default_radar(user.id)
    for n in range(7):
        store.accounts.create_radar(user.id, f"radar {n}", limit=10)
    made = at_once(lambda n: allowed(lambda: store.accounts.create_radar(user.id, f"late {n}", limit=10),
                                     "at most 10 radars"), range(6))
    assert sum(made) == 2
    assert len(store.accounts.radars(user.id)) == 10
    other = auth.add_user(store, "bob", PASSWORD, RULES)  # counted per reader
    store.accounts.create_radar(other.id, "radar 0", limit=10)


def test_a_reader_has_at_most_the_limit_of_live_api_tokens(store: Store) -> None:
    from academichub.storage.auth import MAX_LIVE_TOKENS
    assert MAX_LIVE_TOKENS == 50
    user = auth.add_user(store, "ada", PASSWORD, RULES)
    tokens = [store.auth.create_api_token(user.id, f"t{n}", limit=3) for n in range(3)]
    with pytest.raises(InputError, match="at most 3 live API tokens"):
        store.auth.create_api_token(user.id, "one more", limit=3)
    first = store.auth.api_tokens(user.id)[-1]
    assert store.auth.revoke_api_token(user.id, first.id)
    store.auth.create_api_token(user.id, "in its place", limit=3)  # a revoked one does not count
    assert store.auth.api_token_user(tokens[1]) == user.id


def test_cookies_are_secure_over_https(sample_home: Path) -> None:
    settings = make_settings(sample_home, auth={"mode": "accounts"})
    with TestClient(create_app(settings), base_url="https://radar.example", follow_redirects=False) as client:
        response = client.post("/signup", data={"name": "ada", "password": PASSWORD,
                                                "csrf": form_token(client, "/signup")})
        session = next(h for h in response.headers.get_list("set-cookie") if h.startswith("ah_session="))
        assert "Secure" in session and "HttpOnly" in session and "SameSite=lax" in session


def test_repeated_failures_pause_sign_in(site: TestClient) -> None:
    sign_up(site, "ada")
    site.cookies.clear()
    answers = [site.post("/login", data={"name": "ada", "password": "wrong guess", "csrf": form_token(site, "/login")})
               for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert answers[5].headers["Retry-After"] == "1"  # the first wait is a second; they double from there


def test_one_reader_never_reaches_another_readers_radar(site: TestClient) -> None:
    sign_up(site, "ada")
    ada_radar = site.post("/api/v1/radars", json={"name": "watch list"}).json()
    site.post(f"/api/v1/subscriptions?radar={ada_radar['id']}", json={"kind": "keyword", "value": "galaxy"})
    ada_feed = site.get(f"/api/v1/radars/{ada_radar['id']}/feed").json()
    liked = ada_feed["items"][0]["id"]
    site.post("/api/v1/feedback", json={"paper": liked, "action": "like"})
    ada_brief = site.post("/api/v1/briefings", json={"period": "week", "lang": "en"}).json()["id"]
    site.cookies.clear()
    sign_up(site, "bob")
    made = site.post("/api/v1/tokens", json={"name": "script\x00\n"}).json()  # answered as it is kept
    token = made["token"]
    assert made["name"] == "script" == site.get("/api/v1/tokens").json()[0]["name"]
    site.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert [r["name"] for r in site.get("/api/v1/radars", headers=bearer).json()] == ["default"]
    for path in (f"/api/v1/radars/{ada_radar['id']}/feed", f"/api/v1/briefings/{ada_brief}",
                 f"/api/v1/feed?radar={ada_radar['id']}", f"/api/v1/subscriptions?radar={ada_radar['id']}"):
        assert site.get(path, headers=bearer).status_code == 404, path
    assert site.post(f"/api/v1/radars/{ada_radar['id']}/feed/next", json={}, headers=bearer).status_code == 404
    assert site.delete(f"/api/v1/radars/{ada_radar['id']}", headers=bearer).status_code == 404
    assert site.get("/api/v1/feedback", headers=bearer).json() == []
    assert site.get("/api/v1/briefings", headers=bearer).json() == []
    assert site.get("/api/v1/me", headers=bearer).json()["name"] == "bob"
    # A token is its own proof: a script's write passes whatever site headers it sends.
    crossed = site.post("/api/v1/radars", json={"name": "from a script"},
                        headers={**bearer, "Sec-Fetch-Site": "cross-site", "Origin": "https://elsewhere.example"})
    assert crossed.status_code == 201


def test_private_feed_urls_validate_and_can_be_revoked(site: TestClient) -> None:
    sign_up(site, "ada")
    radar = site.get("/api/v1/radars").json()[0]
    site.post("/api/v1/subscriptions", json={"kind": "keyword", "value": "video"})
    urls = site.post(f"/api/v1/radars/{radar['id']}/feed-url").json()
    expected = [i["title"] for i in site.get("/api/v1/feed").json()["items"]]
    papers = {i["title"]: i["authors"] for i in site.get("/api/v1/feed").json()["items"]}
    site.cookies.clear()  # a feed reader has no session
    for kind, url in urls.items():
        response = site.get(url.replace("http://testserver", ""))
        assert response.status_code == 200 and response.headers["content-type"].startswith(f"application/{kind}+xml")
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.version == ("atom10" if kind == "atom" else "rss20")
        titles = [e.title for e in parsed.entries]
        assert len(titles) == 30 and set(expected) <= set(titles)
        assert all(e.link.startswith("http") for e in parsed.entries)
        # Every entry names its authors in order: RSS items had none (its <author> is an e-mail
        # address, so feedgen wrote nothing); they are in dc:creator.
        named = [e for e in parsed.entries if e.title in papers]
        assert named and all([a["name"] for a in e.authors] == papers[e.title][:20] for e in named), kind
        # Polled again, it is the same bytes (its build date was the time of the request) and a
        # reader that names its ETag gets 304 without a body; a stale ETag gets the feed. (The
        # reader's model retrains in the background meanwhile and may reorder the papers once:
        # that is a new feed with a new ETag, so the pair is taken again.)
        path = url.replace("http://testserver", "")
        for _ in range(5):
            first, again = site.get(path), site.get(path)
            unchanged = site.get(path, headers={"If-None-Match": f'"stale", W/{again.headers["etag"]}'})
            if first.content == again.content and unchanged.status_code == 304:
                break
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert site.get(url.replace("http://testserver", ""), headers={"If-None-Match": '"stale"'}).status_code == 200
    sign_up(site, "ada2")
    site.cookies.clear()
    assert site.get(urls["atom"].replace("http://testserver", "")).status_code == 200
    site.post("/login", data={"name": "ada", "password": PASSWORD, "csrf": form_token(site, "/login")})
    assert site.delete(f"/api/v1/radars/{radar['id']}/feed-url").status_code == 204
    assert site.get(urls["rss"].replace("http://testserver", "")).status_code == 404


def test_a_private_feed_is_titled_as_the_pages_name_the_radar_in_its_owners_language(site: TestClient) -> None:
    # A feed reader showed the default radar as "AcademicHub · default" (its stored key, which
    # every page calls "My radar"), described in English whatever the owner's language.
    sign_up(site, "ada")
    site.post("/api/v1/subscriptions", json={"kind": "keyword", "value": "Hubble tension"})
    radars = site.get("/api/v1/radars").json()
    urls = site.post(f"/api/v1/radars/{radars[0]['id']}/feed-url").json()
    site.post("/api/v1/radars", json={"name": "Optics"})
    optics = [r for r in site.get("/api/v1/radars").json() if r["name"] == "Optics"][0]
    optics_urls = site.post(f"/api/v1/radars/{optics['id']}/feed-url").json()
    csrf = form_token(site, "/account")
    site.post("/account/language", data={"csrf": csrf, "language": "zh"})
    site.cookies.clear()  # a feed reader has no session, and sends no language of its own here
    path = urls["atom"].replace("http://testserver", "")
    chinese = feedparser.parse(site.get(path).content)
    assert chinese.feed.title == "AcademicHub · 我的雷达" and chinese.feed.subtitle == "为雷达“我的雷达”排序的论文"
    assert chinese.feed.language == "zh-CN"
    english = feedparser.parse(site.get(path + "?lang=en").content)
    assert english.feed.title == "AcademicHub · My radar" and english.feed.language == "en"
    rss = feedparser.parse(site.get(optics_urls["rss"].replace("http://testserver", "")).content)
    assert rss.feed.title == "AcademicHub · Optics" and rss.feed.description == "为雷达“Optics”排序的论文"
    # Entries read as text in a feed reader: TeX typeset as Unicode, not "$H_0$" as typed.
    titles = [e.title for e in chinese.entries]
    assert any("Model-independent H₀ constraints" in t for t in titles), titles
    assert not any("$" in e.title or "$" in e.summary for e in chinese.entries)


def test_admin_page_is_for_admins_and_masks_secrets(site: TestClient, sample_home: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sign_up(site, "ada")
    assert site.get("/admin").status_code == 403
    site.cookies.clear()
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run(capsys, "--home", str(sample_home), "admin", "create", "root", "--password-stdin")
    assert code == 0 and "Created admin 'root'" in err
    site.post("/login", data={"name": "root", "password": PASSWORD, "csrf": form_token(site, "/login")})
    page = site.get("/admin")
    assert page.status_code == 200 and "ada" in page.text and "root" in page.text
    assert "sk-very-secret" not in page.text and "**********" in page.text


def test_token_from_the_cli_reads_the_api(site: TestClient, sample_home: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert run(capsys, "--home", str(sample_home), "user", "add", "carol", "--password-stdin")[0] == 0
    code, out, _ = run(capsys, "--home", str(sample_home), "token", "create", "--user", "carol")
    token = out.strip()
    assert code == 0 and token.startswith("ahk_")
    radars = site.get("/api/v1/radars", headers={"Authorization": f"Bearer {token}"})
    assert radars.status_code == 200 and radars.json()[0]["name"] == "default"
    feed = site.get(f"/api/v1/radars/{radars.json()[0]['id']}/feed", headers={"Authorization": f"Bearer {token}"})
    assert feed.status_code == 200 and len(feed.json()["items"]) == 10
    assert run(capsys, "--home", str(sample_home), "token", "create", "--user", "nobody")[0] != 0


def test_the_openapi_document_is_complete_and_valid(site: TestClient) -> None:
    from openapi_spec_validator import validate
    spec = site.get("/api/v1/openapi.json").json()
    validate(spec)
    routes = {route.path for route in site.app.routes if getattr(route, "path", "").startswith("/api/v1/")}
    documented = set(spec["paths"])
    assert {r.replace(":path", "") for r in routes} - {"/api/v1/openapi.json"} <= documented
    assert {"/api/v1/radars", "/api/v1/radars/{radar_id}/feed", "/api/v1/tokens", "/api/v1/briefings"} <= documented


def test_insecure_settings_are_refused_at_start(tmp_path: Path) -> None:
    from academichub.auth.accounts import Accounts
    from academichub.errors import ConfigError
    with pytest.raises(ConfigError, match="shorter than 32"):
        create_app(make_settings(tmp_path / "a", secret_key="short"))
    with pytest.raises(ConfigError, match="in clear"):
        create_app(make_settings(tmp_path / "b", host="0.0.0.0", auth={"mode": "accounts", "secure_cookies": "never"}))
    # Local mode has no sign-in: not on a network address unless asked for, never with accounts.
    with pytest.raises(ConfigError, match="whoever reaches the address would be the reader"):
        create_app(make_settings(tmp_path / "c", host="0.0.0.0"))
    create_app(make_settings(tmp_path / "d", host="0.0.0.0", auth={"local_network": True}))
    local = make_settings(tmp_path / "e")
    with Store.open(local) as store:
        # The local reader's own token (the local-mode account page offers one) stopped the next start.
        local_user, _ = store.accounts.ensure_local_user()
        Accounts(store).new_api_token(local_user.id, "web")
    create_app(local)
    with Store.open(local) as store:
        auth.add_user(store, "ada", PASSWORD, RULES)
    with pytest.raises(ConfigError, match=r"has accounts \(ada\) but runs in local mode"):
        create_app(local)
    create_app(make_settings(tmp_path / "e", auth={"mode": "accounts"}))


def test_serve_refuses_a_network_address_in_local_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--home", str(tmp_path / "home"), "serve", "--host", "0.0.0.0", "--port", "1")
    assert code == 1 and "local mode has no sign-in" in err


def test_the_cli_acts_for_the_account_named_by_user(sample_home: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import json as jsonlib
    home = ["--home", str(sample_home)]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert run(capsys, *home, "user", "add", "carol", "--password-stdin")[0] == 0
    assert run(capsys, *home, "--user", "carol", "follow", "keyword", "galaxy")[0] == 0
    code, out, _ = run(capsys, *home, "--user", "carol", "following", "--json")
    assert code == 0 and [s["value"] for s in jsonlib.loads(out)] == ["galaxy"]
    code, out, _ = run(capsys, *home, "following", "--json")  # the local reader follows nothing
    assert code == 0 and jsonlib.loads(out) == []
    code, _, err = run(capsys, *home, "--user", "nobody", "feed")
    assert code == 1 and "no user 'nobody'" in err


def test_the_accounts_service_gives_no_reader_anything_of_another(store: Store) -> None:
    from academichub.auth.accounts import Accounts
    from academichub.errors import NotFoundError

    accounts = Accounts(store)
    ada, bob = auth.add_user(store, "ada", PASSWORD, RULES), auth.add_user(store, "bob", PASSWORD, RULES)
    radar = accounts.default_radar(ada.id)
    feed = accounts.new_feed_token(ada.id, radar.id)
    assert accounts.feed_radar(feed) == radar and accounts.has_feed_token(radar.id)
    for attempt in (accounts.new_feed_token, accounts.revoke_feed_tokens, accounts.radar_of):
        with pytest.raises(NotFoundError, match=f"no radar {radar.id}"):
            attempt(bob.id, radar.id)
    assert accounts.feed_radar(feed) == radar  # bob's attempts changed nothing
    token = accounts.new_api_token(ada.id, "laptop")
    [listed] = accounts.api_tokens(ada.id)
    with pytest.raises(NotFoundError, match="no live token"):
        accounts.revoke_api_token(bob.id, listed.id)
    assert accounts.bearer(token) == ada and accounts.bearer("ah_not-a-token") is None
    accounts.revoke_api_token(ada.id, listed.id)
    assert accounts.bearer(token) is None
    with pytest.raises(NotFoundError, match="no live token"):  # a revoked token is not revoked twice
        accounts.revoke_api_token(ada.id, listed.id)
    accounts.revoke_feed_tokens(ada.id, radar.id)
    with pytest.raises(NotFoundError, match="revoked"):
        accounts.feed_radar(feed)
    _user, session = auth.sign_in(store, "bob", PASSWORD, "10.0.0.9", RULES)
    assert accounts.signed_in(session) == bob
    accounts.sign_out(session)
    assert accounts.signed_in(session) is None


def _read_secret_at_once(settings, barrier, results) -> None:  # type: ignore[no-untyped-def]
    from academichub.auth.secret import load_secret

    barrier.wait()
    results.put(load_secret(settings))


def test_processes_starting_at_once_share_one_secret(tmp_path: Path) -> None:
    """`serve --workers 8` on a new install: every process must sign with the same secret, kept
    private from the first byte. Each process used to write its own: in 40 rounds of 8 processes
    at once, 6 rounds had processes with different secrets (a form signed by one was refused by
    another) and 4 had a process that read the file empty while another wrote it."""
    import multiprocessing
    import stat

    from academichub.auth.secret import SECRET_FILE, load_secret

    context = multiprocessing.get_context("fork")  # started together: the window is milliseconds
    for round_ in range(20):
        home = tmp_path / str(round_)
        settings = make_settings(home)
        barrier, results = context.Barrier(8), context.Queue()
        processes = [context.Process(target=_read_secret_at_once, args=(settings, barrier, results)) for _ in range(8)]
        for process in processes:
            process.start()
        secrets_read = {results.get(timeout=60) for _ in processes}
        for process in processes:
            process.join(timeout=60)
        path = home / SECRET_FILE
        assert secrets_read == {path.read_text().encode()} and len(path.read_text()) == 64, round_
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in home.iterdir() if p.name.startswith(f".{SECRET_FILE}")] == []
    path.write_text("")  # emptied (a full disk): a new secret, never an empty one
    renewed = load_secret(make_settings(home))
    assert len(renewed) == 64 and renewed == path.read_text().encode()

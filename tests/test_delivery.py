"""Digests delivered: e-mail to a real SMTP server (aiosmtpd) on 127.0.0.1, and Feishu, DingTalk, WeCom
and Slack webhooks to a local HTTP server that checks the signatures."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from academichub import compose
from academichub.delivery import webhooks
from academichub.delivery.digest import Digest, DigestItem
from academichub.delivery.service import DeliveryService, check, is_due
from academichub.errors import DeliveryError, InputError
from academichub.radar.subscriptions import follow
from academichub.storage.store import Store
from academichub.web.app import create_app
from academichub.worker import jobs
from tests.browser import free_port
from tests.concurrency import allowed, at_once
from tests.conftest import make_settings
from tests.replay_server import serving

SECRET = "SEC-test-secret-123"
LOCAL_HOOKS = {"allow_networks": ["127.0.0.0/8"]}  # the receivers here listen on loopback, refused by default


class Inbox:
    """An aiosmtpd handler keeping what arrives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


@contextmanager
def hook_server(respond: Callable[[dict, dict], tuple[int, dict | str, dict]]) -> Iterator[tuple[str, list[dict]]]:
    """A webhook receiver: `respond(body, query)` gives (status, reply, headers); requests are recorded."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            seen.append({"body": body, "query": query, "agent": self.headers["User-Agent"]})
            status, reply, headers = respond(body, query)
            data = (reply if isinstance(reply, str) else json.dumps(reply)).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as base:
        yield f"{base}/hook", seen


def feishu_receiver(body: dict, _query: dict) -> tuple[int, dict, dict]:
    """Feishu's check: the sign must match the timestamp and the bot's secret, and be recent."""
    fresh = abs(time.time() - int(body.get("timestamp", 0))) < 3600
    if body.get("sign") != webhooks.feishu_sign(SECRET, int(body.get("timestamp", 0))) or not fresh:
        return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}, {}
    return 200, {"code": 0, "msg": "success"}, {}


def dingtalk_receiver(_body: dict, query: dict) -> tuple[int, dict, dict]:
    """DingTalk's check: sign over timestamp (ms) in the query string."""
    if query.get("sign") != webhooks.dingtalk_sign(SECRET, int(query.get("timestamp", 0))):
        return 200, {"errcode": 310000, "errmsg": "sign not match"}, {}
    return 200, {"errcode": 0, "errmsg": "ok"}, {}


@pytest.fixture
def radar_home(sample_home: Path) -> tuple[Path, int]:
    settings = make_settings(sample_home)
    with Store.open(settings) as store:
        _user, radar = store.accounts.ensure_local_user()
        follow(store, radar.id, "keyword", "video")
    return sample_home, radar.id


def service(store: Store, settings) -> DeliveryService:  # type: ignore[no-untyped-def]
    return compose.build(settings, store=store, background=False).delivery(sleep=lambda _s: None)


def test_an_email_digest_arrives_with_both_parts_and_a_working_unsubscribe(radar_home, smtp) -> None:  # type: ignore[no-untyped-def]
    home, radar_id = radar_home
    port, inbox = smtp
    settings = make_settings(home, smtp={"host": "127.0.0.1", "port": port, "security": "none",
                                         "sender": "Radar <radar@lab.example>"},
                             public_url="https://radar.lab.example")
    with Store.open(settings) as store:
        delivery = store.deliveries.add(radar_id, "email", "reader@lab.example", lang="zh")
        services = compose.build(settings, store=store, background=False)
        results = jobs.deliver_due(services, sleep=lambda _s: None)
        assert results == [{"id": delivery.id, "channel": "email", "ok": True, "papers": 10}]
        assert jobs.deliver_due(services) == []  # nothing new announced since
    [(sender, recipients, message)] = inbox.messages
    assert sender == "radar@lab.example" and recipients == ["reader@lab.example"]
    # The default radar is named as every page names it (the subject said "· default ·", its key).
    assert message["Subject"] == "AcademicHub 每日雷达 · 我的雷达 · 2025-09-26"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "01. " in text and "关键词: video" in text and "https://radar.lab.example/paper/arxiv:" in text
    assert html.count('href="https://radar.lab.example/paper/') == 10 and "<script" not in html
    assert "简报概览" in text  # the briefing's overview comes along
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and unsubscribe in text
    path = unsubscribe.removeprefix("https://radar.lab.example")
    with TestClient(create_app(settings)) as client:
        assert client.get(path).status_code == 200  # a mail scanner following the link changes nothing
        assert client.get(path.rsplit("/", 1)[0] + "/" + "0" * 32).status_code == 404
        assert client.post(path).status_code == 200
    with Store.open(settings) as store:
        assert store.deliveries.get(delivery.id).active is False


def test_an_unreachable_smtp_server_is_recorded_and_named(radar_home) -> None:  # type: ignore[no-untyped-def]
    home, radar_id = radar_home
    port = free_port()  # nothing listens here
    settings = make_settings(home, smtp={"host": "127.0.0.1", "port": port, "security": "none", "timeout": 3})
    with Store.open(settings) as store:
        delivery = store.deliveries.add(radar_id, "email", "reader@lab.example")
        with pytest.raises(DeliveryError, match=f"127.0.0.1:{port}"):
            service(store, settings).send(store.deliveries.get(delivery.id))
        assert f"127.0.0.1:{port}" in store.deliveries.get(delivery.id).last_error


def test_feishu_gets_a_signed_post_with_the_batch(radar_home) -> None:  # type: ignore[no-untyped-def]
    home, radar_id = radar_home
    settings = make_settings(home, public_url="https://radar.lab.example", delivery=LOCAL_HOOKS)
    with hook_server(feishu_receiver) as (url, seen), Store.open(settings) as store:
        delivery = store.deliveries.add(radar_id, "feishu", url, secret=SECRET, lang="zh")
        digest = service(store, settings).send(delivery)
        wrong = store.deliveries.add(radar_id, "feishu", url, secret="not-the-secret")
        with pytest.raises(DeliveryError, match="19021"):
            service(store, settings).send(wrong)
    body = seen[0]["body"]
    assert body["msg_type"] == "post" and body["sign"] == webhooks.feishu_sign(SECRET, int(body["timestamp"]))
    rows = body["content"]["post"]["zh_cn"]["content"]
    links = [cell["href"] for row in rows for cell in row if cell["tag"] == "a"]
    assert body["content"]["post"]["zh_cn"]["title"] == digest.title and len(links) == 10
    assert all(link.startswith("https://radar.lab.example/paper/") for link in links)
    assert len(seen) == 2 and seen[0]["agent"].startswith("AcademicHub")  # a refused sign is not retried


def test_dingtalk_signs_in_the_query_and_retries_server_errors(radar_home) -> None:  # type: ignore[no-untyped-def]
    home, radar_id = radar_home
    settings = make_settings(home, delivery=LOCAL_HOOKS)
    failures = iter([(503, {"errcode": -1}, {}), (429, {"errcode": 130101}, {"Retry-After": "0"})])

    def flaky(body: dict, query: dict) -> tuple[int, dict, dict]:
        return next(failures, None) or dingtalk_receiver(body, query)

    with hook_server(flaky) as (url, seen), Store.open(settings) as store:
        delivery = store.deliveries.add(radar_id, "dingtalk", url, secret=SECRET, lang="en")
        service(store, settings).send(delivery)
    assert len(seen) == 3  # 503, 429, then accepted
    final = seen[-1]
    assert final["query"]["sign"] == webhooks.dingtalk_sign(SECRET, int(final["query"]["timestamp"]))
    assert final["body"]["msgtype"] == "markdown" and "### AcademicHub daily radar" in final["body"]["markdown"]["text"]


def test_wecom_and_slack_formats_keep_titles_inert() -> None:
    digest = Digest("Radar", "default", "en", {"to": "2025-09-26"}, [DigestItem(
        1, "Attacks <https://evil.example|click> *bold* [x](y)", "https://r.example/paper/1", "arXiv (CS.CR)",
        "2025-09-26", "Eve", ["Keyword: attack"])])
    wecom, _ = webhooks.payload("wecom", digest, None)
    assert wecom["msgtype"] == "markdown" and "\\[x\\]\\(y\\)" in wecom["markdown"]["content"]
    slack, _ = webhooks.payload("slack", digest, None)
    section = slack["blocks"][1]["text"]["text"]
    assert "&lt;https://evil.example|click&gt;" in section and "<https://r.example/paper/1|" in section
    with pytest.raises(DeliveryError, match="unknown channel"):
        webhooks.payload("fax", digest, None)


def test_a_wecom_digest_fits_its_4096_bytes_without_a_link_cut_in_two() -> None:
    """WeCom refuses Markdown past 4096 bytes (error 40058). The message was cut at 4,000
    characters: a Chinese digest with its overview is three bytes a character, so WeCom refused it,
    and the cut could fall inside a paper's link."""
    items = [DigestItem(n, f"第{n}篇：基于大语言模型的多模态视频理解与关键帧选择方法研究 {'x' * 60}",
                        f"https://r.example/paper/arxiv:2509.{n:05d}", "arXiv (CS.CV)", "2025-09-26", "张三",
                        ["作者: 何建翔", "关键词: 视频理解"]) for n in range(1, 11)]
    digest = Digest("AcademicHub 每日雷达", "default", "zh", {"to": "2025-09-26"}, items, overview="简报概览。" * 300,
                    briefing_url="https://r.example/briefings/7", feed_url="https://r.example/?radar=1")
    content = webhooks.payload("wecom", digest, None)[0]["markdown"]["content"]
    assert len(content.encode()) <= 4096 < len(webhooks.markdown(digest).encode())
    shown = [item for item in items if item.url in content]
    assert shown == items[:len(shown)] and len(shown) >= 5  # the first papers, whole
    for item in shown:
        assert f"]({item.url})" in content
    assert content.endswith("[阅读完整简报](https://r.example/briefings/7)")
    small = Digest("Radar", "default", "en", {"to": "2025-09-26"}, items[:2], overview="Short.")
    assert webhooks.payload("wecom", small, None)[0]["markdown"]["content"] == webhooks.markdown(small)
    assert "> Short." in webhooks.markdown(small) and all(i.url in webhooks.markdown(small) for i in items[:2])


def test_a_chinese_digest_is_punctuated_in_chinese() -> None:
    # Every part of a Chinese digest wrote "推荐理由: 作者: 何建翔; 关键词: 视频理解" and "主题:".
    from academichub.delivery.email import compose

    item = DigestItem(1, "基于大语言模型的视频理解", "https://r.example/paper/1", "arXiv (CS.CV)", "2025-09-26", "张三",
                      ["作者: 何建翔", "关键词: 视频理解"])
    digest = Digest("AcademicHub 每日雷达", "default", "zh", {"to": "2025-09-26"}, [item], overview="简报。",
                    themes=["视频理解"], briefing_url="https://r.example/briefings/7", feed_url="https://r.example/")
    message = compose(digest, sender="a@r.example", to="b@r.example", unsubscribe_url="https://r.example/u")
    text, html = (part.get_content() for part in message.iter_parts())
    for body in (text, html):
        assert "推荐理由：作者: 何建翔；关键词: 视频理解" in body and "推荐理由:" not in body, body
    assert "主题：视频理解" in text and "<strong>主题：</strong>" in html and "退订此邮件：https://r.example/u" in text
    assert "作者: 何建翔；关键词: 视频理解" in webhooks.markdown(digest)
    feishu = json.dumps(webhooks.payload("feishu", digest, None)[0], ensure_ascii=False)
    assert "作者: 何建翔；关键词: 视频理解" in feishu
    english = Digest("Radar", "default", "en", {"to": "2025-09-26"}, [item])
    assert "why: 作者: 何建翔; 关键词: 视频理解" in compose(english, sender="a@r.example", to="b@r.example",
                                                         unsubscribe_url="u").get_body(("plain",)).get_content()


def test_a_digest_shows_a_titles_tex_as_text(sample_home: Path) -> None:
    # Mail and chat messages showed arXiv's TeX as typed ("… at $z=0$", "$H_0$ constraints"),
    # where the pages typeset it.
    from academichub.delivery.digest import build_digest

    settings = make_settings(sample_home)
    with Store.open(settings) as store:
        _user, radar = store.accounts.ensure_local_user()
        follow(store, radar.id, "keyword", "Hubble tension")
        services = compose.build(settings, store=store, background=False)
        digest = build_digest(services.feed, None, store.accounts.get_radar(radar.id), cadence="daily", lang="en",
                              papers=10, base_url="https://r.example")
    (hubble,) = [i for i in digest.items if i.title.startswith("Probing redshift-dependent systematics")]
    assert hubble.title.endswith("Hubble tension: Model-independent H₀ constraints from DESI R2")
    assert "$" not in webhooks.markdown(digest) and "H₀" in webhooks.markdown(digest)

    # A reason quoting that title reads the same ("Similar to a paper you liked «… H₀ …»").
    from academichub.radar import feedback

    with Store.open(settings) as store:
        user, radar = store.accounts.ensure_local_user()
        feedback.give(store, user.id, "arxiv:2509.20898", "like")
        services = compose.build(settings, store=store, background=False)
        liked = build_digest(services.feed, None, store.accounts.get_radar(radar.id), cadence="daily", lang="en",
                             papers=10, base_url="https://r.example")
    reasons = [r for item in liked.items for r in item.reasons if r.startswith("Similar to a paper you liked")]
    assert reasons and all("Model-independent H₀ constraints" in r and "$" not in r for r in reasons)


def test_deliveries_are_checked_and_due_at_their_cadence() -> None:
    with pytest.raises(InputError, match="not an e-mail address"):
        check("email", "nobody", "daily", None)
    with pytest.raises(InputError, match="needs its URL"):
        check("feishu", "ftp://x", "daily", None)
    with pytest.raises(InputError, match="not signed"):
        check("slack", "https://hooks.slack.com/x", "daily", "secret")
    from academichub.model.delivery import Delivery
    weekly = Delivery(1, 1, "email", "a@b.c", None, "weekly", "en", True, date(2025, 9, 19), None, None)
    assert not is_due(weekly, date(2025, 9, 25)) and is_due(weekly, date(2025, 9, 26))
    daily = Delivery(1, 1, "email", "a@b.c", None, "daily", "en", True, date(2025, 9, 26), None, None)
    assert not is_due(daily, date(2025, 9, 26)) and is_due(daily, date(2025, 9, 27))
    assert is_due(dataclasses.replace(daily, last_anchor=None), date(2025, 9, 26)) and not is_due(daily, None)


def test_deliveries_over_the_api_with_a_test_button(radar_home) -> None:  # type: ignore[no-untyped-def]
    home, _radar_id = radar_home
    settings = make_settings(home, delivery=LOCAL_HOOKS)
    with hook_server(feishu_receiver) as (url, seen), TestClient(create_app(settings)) as client:
        assert client.post("/api/v1/deliveries", json={"channel": "email", "target": "x"}).status_code == 400
        created = client.post("/api/v1/deliveries", json={"channel": "feishu", "target": url, "secret": SECRET})
        assert created.status_code == 201 and created.json()["signed"] and "secret" not in created.json()
        number = created.json()["id"]
        tested = client.post(f"/api/v1/deliveries/{number}/test")
        assert tested.status_code == 200 and tested.json()["title"].startswith("[测试]") and len(seen) == 1
        assert client.get("/api/v1/deliveries").json()[0]["last_error"] is None
        bad = client.post("/api/v1/deliveries", json={"channel": "feishu", "target": url, "secret": "wrong"}).json()
        failed = client.post(f"/api/v1/deliveries/{bad['id']}/test")
        assert failed.status_code == 400 and "19021" in failed.json()["error"]["message"]
        assert client.delete(f"/api/v1/deliveries/{number}").status_code == 204
        assert client.post(f"/api/v1/deliveries/{number}/test").status_code == 404


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with Debian's openssl."""
    import shutil
    import subprocess
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_starttls_and_ssl_verifies_the_server(radar_home, certificate, security: str) -> None:  # type: ignore[no-untyped-def]
    import ssl
    home, radar_id = radar_home
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    options = {"tls_context": context, "require_starttls": True} if security == "starttls" else {"ssl_context": context}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        trusted = make_settings(home, smtp={"host": "127.0.0.1", "port": port, "security": security, "ca_file": str(cert)})
        untrusted = make_settings(home, smtp={"host": "127.0.0.1", "port": port, "security": security, "timeout": 5})
        with Store.open(trusted) as store:
            delivery = store.deliveries.add(radar_id, "email", "reader@lab.example")
            service(store, trusted).send(delivery, test=True)
            with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
                service(store, untrusted).send(delivery, test=True)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1 and inbox.messages[0][2]["Subject"].startswith("[测试]")


def test_deliveries_are_checked_before_they_are_kept_and_owned(store: Store) -> None:
    from academichub.auth.accounts import Accounts
    from academichub.delivery.deliveries import Deliveries
    from academichub.delivery.service import unsubscribe_token
    from academichub.errors import NotFoundError

    settings = make_settings(store.vectors_dir.parent)
    deliveries, accounts = Deliveries(store, settings.delivery), Accounts(store)
    ada, bob = (store.accounts.create_user(name, name) for name in ("ada", "bob"))
    radar = accounts.default_radar(ada.id)
    with pytest.raises(InputError, match="127.0.0.1 is not a public address"):
        deliveries.add(radar, "slack", "http://127.0.0.1:9/hook")
    with pytest.raises(InputError, match="not an e-mail address"):
        deliveries.add(radar, "email", "no-at-sign")
    with pytest.raises(InputError, match="not an e-mail address"):  # was kept, to fail in the header later
        deliveries.add(radar, "email", "ada\x01@example.org")
    for url, problem in (("https://exa mple.com/hook", "is not a host name"),  # was kept as exa%20mple.com
                         ("https://a..b/hook", "is not a host name"), ("https://example.org:0/", "port 0")):
        with pytest.raises(InputError, match=problem):
            deliveries.add(radar, "slack", url)
    with pytest.raises(InputError, match="control character"):  # PostgreSQL refused the NUL with a 500
        deliveries.add(radar, "feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x", secret="SEC\x00x")
    with pytest.raises(InputError, match="the language must be zh or en, got 'fr'"):  # was kept as zh
        deliveries.add(radar, "email", "ada@example.org", lang="fr")
    assert deliveries.of_user(ada.id) == []  # nothing kept of any
    kept = deliveries.add(radar, "email", "  ada@example.org ", lang="en")
    assert (kept.target, kept.lang, kept.active) == ("ada@example.org", "en", True)
    with pytest.raises(NotFoundError):
        deliveries.remove(bob.id, kept.id)
    with pytest.raises(NotFoundError):
        deliveries.of(bob.id, kept.id)
    secret = b"s" * 32
    with pytest.raises(NotFoundError, match="not valid"):
        deliveries.by_link(secret, kept.id, "0" * 32)
    deliveries.switch_off(deliveries.by_link(secret, kept.id, unsubscribe_token(secret, kept.id)))
    assert deliveries.of(ada.id, kept.id).active is False
    assert deliveries.remove(ada.id, kept.id).id == kept.id and deliveries.of_user(ada.id) == []


def test_adding_a_delivery_twice_at_once_keeps_one(store: Store) -> None:
    # A double-clicked form, or two requests at once, kept two deliveries: every digest went twice.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.browser import running_server

    url = store.engine.url
    settings = make_settings(store.vectors_dir.parent, None if url.get_backend_name() == "sqlite"
                             else url.render_as_string(hide_password=False))
    clients = 8
    barrier = threading.Barrier(clients)
    with running_server(settings, app=create_app(settings, store=store)) as base:
        def add(n: int) -> httpx.Response:
            with httpx.Client(base_url=base, timeout=60, headers={"Sec-Fetch-Site": "same-origin"}) as client:
                barrier.wait()
                return client.post("/api/v1/deliveries", json={"channel": "email", "target": "ada@example.org",
                                                               "cadence": "weekly" if n % 2 else "daily"})

        with ThreadPoolExecutor(clients) as pool:
            answers = list(pool.map(add, range(clients)))
        assert [a.status_code for a in answers] == [201] * clients, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        with httpx.Client(base_url=base, timeout=60) as client:
            kept = client.get("/api/v1/deliveries").json()
            assert len(kept) == 1 and kept[0]["target"] == "ada@example.org"
            again = client.post("/api/v1/deliveries", headers={"Sec-Fetch-Site": "same-origin"},
                                json={"channel": "email", "target": "ada@example.org", "cadence": "weekly",
                                      "lang": "en"})
            assert again.json()["id"] == kept[0]["id"] and (again.json()["cadence"], again.json()["lang"]) == \
                ("weekly", "en")  # added again: the same delivery, with the settings given last
            assert len(client.get("/api/v1/deliveries").json()) == 1


def test_digests_and_briefings_due_are_sent_once_when_several_workers_run_them(sample_store: Store,
                                                                                tmp_path: Path) -> None:
    # Two queue workers whose fetches ended together each read the same deliveries as due and
    # posted every digest twice (and wrote every scheduled briefing twice); they now take turns,
    # and the later finds the work done.
    import threading
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    url = sample_store.engine.url
    database = None if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=False)
    settings = make_settings(tmp_path / "workers", database, delivery=LOCAL_HOOKS)
    user = sample_store.accounts.create_user(f"reader-{uuid.uuid4().hex[:8]}", "Digest reader")
    radar = sample_store.accounts.default_radar(user.id)
    follow(sample_store, radar.id, "keyword", "video")
    sample_store.briefings.set_schedule(radar.id, lang="en")

    def slow_receiver(_body: dict, _query: dict) -> tuple[int, str, dict]:
        time.sleep(0.3)  # a real webhook takes its time: the window two senders met in
        return 200, "ok", {}

    workers = 4
    with hook_server(slow_receiver) as (hook, seen):
        sample_store.deliveries.add(radar.id, "slack", hook, lang="en")
        barrier = threading.Barrier(workers)

        def worker(_: int) -> tuple[list[int], list[dict]]:
            services = compose.build(settings, store=sample_store, background=False)
            barrier.wait()
            mine = [b for b in jobs.brief_scheduled(services)
                    if sample_store.briefings.get(user.id, b) is not None]
            return mine, jobs.deliver_due(services, sleep=lambda _s: None)

        with ThreadPoolExecutor(workers) as pool:
            done = list(pool.map(worker, range(workers)))
    briefed = [b for mine, _ in done for b in mine]
    sent = [r for _, results in done for r in results if r["ok"]]
    assert len(briefed) == 1 and len(sample_store.briefings.list(user.id)) == 1
    assert len(sent) == 1 and len(seen) == 1


def test_a_radar_holds_at_most_its_limit_of_deliveries(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # The scheduler sends every delivery of a radar after each announcement day; there was no limit.
    from academichub.storage import deliveries
    assert deliveries.MAX_DELIVERIES == 20
    monkeypatch.setattr(deliveries, "MAX_DELIVERIES", 5)
    user = store.accounts.create_user("ada", "Ada")
    radar = store.accounts.default_radar(user.id)
    for n in range(3):
        store.deliveries.add(radar.id, "slack", f"https://hooks.slack.com/services/T/B/{n}")
    added = at_once(lambda n: allowed(lambda: store.deliveries.add(radar.id, "slack", f"https://hooks.slack.com/"
                                                                   f"services/T/B/late{n}"),
                                      "at most 5 digests and webhooks"), range(4))
    assert sum(added) == 2
    # The same target again takes new settings, as before, at the limit too.
    again = store.deliveries.add(radar.id, "slack", "https://hooks.slack.com/services/T/B/0", cadence="weekly")
    assert again.cadence == "weekly" and len(store.deliveries.of_user(user.id)) == 5

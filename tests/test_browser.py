"""The feed in a real browser: Playwright driving Debian's Chromium against the real server."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from academichub.ingest.pipeline import ingest
from academichub.model import Author, Paper
from academichub.radar.subscriptions import follow
from academichub.storage.store import Store
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_server
from tests.conftest import make_settings

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (scripts/test installs it)")]


@pytest.fixture
def site(sample_home: Path):  # type: ignore[no-untyped-def]
    settings = make_settings(sample_home)
    with Store.open(settings) as store:
        _user, radar = store.accounts.ensure_local_user()
        follow(store, radar.id, "author", "Jianxiang He")
        ingest(store, [Paper(title="Hostile <script>alert('t')</script> title", source="arxiv",
                             arxiv_id="2509.88888", arxiv_version=1, announced=date(2025, 9, 26),
                             abstract='<img src=x onerror="alert(1)"> $\\text{<svg onload=alert(2)>}$',
                             authors=[Author("Mallory", "mallory")], categories=["cs.CR"])], source="arxiv")
    with running_server(settings) as base:
        yield base


@pytest.fixture
def page(site: str):  # type: ignore[no-untyped-def]
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN")
        tab = context.new_page()
        dialogs: list[str] = []
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.dialogs = dialogs
        yield tab
        browser.close()


def card_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("article.card").evaluate_all("cards => cards.map(c => c.dataset.id)")


def test_feed_chips_next_batches_language_and_paper_page(page, site: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/")
    expect = playwright_api.expect
    expect(page.locator("h1")).to_have_text("探索全球前沿学术脉络")
    expect(page.locator("article.card .num").first).to_have_text("01.")
    expect(page.locator("article.card .label").first).to_have_text("arXiv (CS.CV)")
    assert page.locator("article.card").count() == 10
    assert "作者: Jianxiang He" in page.locator("article.card").first.inner_text()
    initial = card_ids(page)

    chip = page.locator("li.chip", has_text="Jianxiang He")
    chip.get_by_role("button").click()  # the ×
    expect(page.locator("li.chip", has_text="Jianxiang He")).to_have_count(0)
    assert "作者: Jianxiang He" not in page.locator("ol.cards").inner_text()
    without = card_ids(page)

    page.locator("form.add-chip select").select_option("author")
    page.locator("form.add-chip input[name=value]").fill("Jianxiang He")
    page.locator("form.add-chip button").click()
    expect(page.locator("li.chip", has_text="Jianxiang He")).to_have_count(1)
    first_batch = card_ids(page)
    # Toggling a chip never brings back a paper that left the screen: his papers shown first and
    # re-ranked away when the chip went stay seen; the ones still on screen may stay.
    assert not set(first_batch) & (set(initial) - set(without))
    assert len(first_batch) == 10

    seen = list(first_batch)
    for _ in range(3):
        page.get_by_role("button", name="换一批").click()
        page.wait_for_load_state()
        batch = card_ids(page)
        assert batch and not set(batch) & set(seen)
        seen += batch
    assert len(seen) == len(set(seen)) == 40

    more = page.locator("article.card button.more").first
    more.click()
    expect(more).to_have_text("收起")

    page.get_by_role("link", name="EN", exact=True).click()
    expect(page.locator("h1")).to_have_text("Explore the frontiers of global research")
    expect(page.get_by_role("button", name="Show another batch")).to_be_visible()

    title = page.locator("article.card h2 a").first
    heading = title.inner_text()
    title.click()
    expect(page.locator("h1.title")).to_have_text(heading)
    expect(page.get_by_role("link", name="arXiv page", exact=True)).to_have_attribute("href", "https://arxiv.org/abs/" + page.url.rsplit(":", 1)[1])
    expect(page.get_by_role("link", name="PDF", exact=True)).to_be_visible()
    assert page.dialogs == []


def test_hostile_title_and_abstract_never_run(page, site: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/paper/arxiv:2509.88888")
    playwright_api.expect(page.locator("h1.title")).to_have_text("Hostile <script>alert('t')</script> title")
    assert "<img src=x onerror=" in page.locator(".abstract.full").inner_text()
    assert page.locator(".abstract img, .abstract svg, h1 script").count() == 0
    page.goto(site + "/search?q=hostile")
    page.wait_for_load_state()
    assert page.dialogs == []


def test_math_in_titles_renders_as_mathml(page, site: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/paper/arxiv:2508.05746")  # "… explain the $S_8$ tension …"
    math = page.locator("h1.title math")
    playwright_api.expect(math).to_have_count(1)
    assert "$" not in page.locator("h1.title").inner_text()
    box = math.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0


def test_like_dismiss_and_undo_without_a_reload(page, site: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/")
    page.evaluate("window.__sameDocument = true")  # lost if anything reloads the page
    first, second = page.locator("article.card").nth(0), page.locator("article.card").nth(1)
    first.get_by_role("button", name="赞", exact=True).click()
    playwright_api.expect(first.locator(".fb-like")).to_have_attribute("aria-pressed", "true")
    second.get_by_role("button", name="不感兴趣", exact=True).click()
    playwright_api.expect(second).to_have_class("card dismissed")
    playwright_api.expect(second.locator(".fb-undo")).to_be_visible()
    second.locator(".fb-undo").click()
    playwright_api.expect(second).to_have_class("card")
    assert page.evaluate("window.__sameDocument") is True
    liked = page.request.get(site + "/api/v1/feedback").json()
    assert liked == [{"paper": first.get_attribute("data-id"), "feedback": ["like"]}]


def test_feedback_with_the_server_unreachable_says_so_in_the_page_language(page, site: str) -> None:  # type: ignore[no-untyped-def]
    # fetch rejects with Chromium's English "Failed to fetch" when no answer comes: a Chinese page
    # showed it under the card.
    page.route("**/api/v1/feedback", lambda route: route.abort())
    page.goto(site + "/")
    card = page.locator("article.card").nth(0)
    card.get_by_role("button", name="赞", exact=True).click()
    note = card.locator(".note")
    playwright_api.expect(note).to_have_text("无法连接服务器。请检查网络连接后重试。")
    assert card.get_attribute("data-feedback") in (None, "")


def test_a_briefing_streams_in_and_its_citations_lead_to_the_papers(page, site: str) -> None:  # type: ignore[no-untyped-def]
    streamed: list[str] = []
    page.on("request", lambda r: streamed.append(r.url) if "/api/v1/briefings/stream" in r.url else None)
    page.goto(site + "/briefings")
    page.select_option("select[name=period]", "week")
    page.get_by_role("button", name="生成简报").click()
    page.wait_for_url(site + "/briefings/*", timeout=60_000)
    assert streamed and "period=week" in streamed[0]  # sections came over Server-Sent Events, not a form post
    assert page.locator("#themes article.theme").count() >= 3
    citation = page.locator("#themes a.cite").first
    target = citation.get_attribute("href")
    citation.click()
    assert page.url.endswith(target) and page.locator(target).is_visible()
    assert page.locator(f"{target} h3.title a").get_attribute("href").startswith("/paper/")
    page.goto(site + "/briefings")
    assert page.locator("table.past-briefings tbody tr").count() == 1
    assert page.dialogs == []


def test_a_briefing_stream_cut_off_is_not_started_again(page, site: str) -> None:  # type: ignore[no-untyped-def]
    # EventSource reconnects by itself when a stream ends without "done" (a proxy's timeout, a
    # restart): each reconnect wrote the briefing again from the start (the LLM paid twice) and
    # appended its sections under the first ones. A cut stream now says so and stops.
    streamed: list[str] = []
    section = json.dumps({"group": "overview", "title": "Overview", "html": "Half of it", "cited": []})

    def cut_short(route) -> None:  # type: ignore[no-untyped-def]
        streamed.append(route.request.url)
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"},
                      body=f"retry: 200\nevent: section\ndata: {section}\n\n")

    page.route("**/api/v1/briefings/stream*", cut_short)
    page.goto(site + "/briefings")
    page.get_by_role("button", name="生成简报").click()
    progress = page.locator("#brief-live .brief-progress")
    playwright_api.expect(progress).to_have_class("brief-progress error")
    page.wait_for_timeout(1500)  # several reconnect delays of 200 ms
    assert len(streamed) == 1
    assert page.locator("#brief-live section.streamed").count() == 1
    assert "中断" in progress.inner_text()
    playwright_api.expect(page.get_by_role("button", name="生成简报")).to_be_enabled()


@pytest.fixture
def accounts_site(sample_home: Path):  # type: ignore[no-untyped-def]
    settings = make_settings(sample_home, auth={"mode": "accounts"})
    with running_server(settings) as base:
        yield base


def test_two_readers_each_see_only_their_own_radar(accounts_site: str) -> None:
    site = accounts_site
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        feeds = {}
        for name, radar, keyword in (("ada", "galaxies", "galaxy"), ("bob", "video work", "video")):
            page = browser.new_context(locale="en-US").new_page()
            page.goto(site + "/")
            assert "/login" in page.url
            page.get_by_role("link", name="No account yet? Sign up").click()
            page.get_by_label("User name").fill(name)
            page.get_by_label("Password").fill("correct horse battery")
            page.get_by_role("button", name="Create account").click()
            page.wait_for_url(site + "/")
            page.goto(site + "/account")
            page.get_by_label("New radar name").fill(radar)
            page.get_by_role("button", name="Add radar").click()
            page.wait_for_url(f"{site}/?radar=*")
            page.get_by_label("Kind").select_option("keyword")
            page.get_by_label("Follow", exact=True).fill(keyword)
            page.get_by_role("button", name="Add", exact=True).click()
            page.wait_for_load_state()
            playwright_api.expect(page.locator(".radar-switch strong")).to_have_text(radar)
            feeds[name] = (page, card_ids(page), page.url.rsplit("=", 1)[1])
            assert page.locator(".chip", has_text=keyword).count() >= 1
        ada_page, ada_cards, ada_radar = feeds["ada"]
        bob_page, bob_cards, _bob_radar = feeds["bob"]
        assert ada_cards and bob_cards and set(ada_cards) != set(bob_cards)
        assert "galaxies" not in bob_page.content() and "video work" not in ada_page.content()
        assert bob_page.goto(f"{site}/?radar={ada_radar}").status == 404  # ada's radar is not bob's to see
        token = bob_page.request.post(site + "/api/v1/tokens", data={"name": "script"}).json()["token"]
        stranger = pw.request.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
        assert stranger.get(f"{site}/api/v1/radars/{ada_radar}/feed").status == 404
        assert stranger.get(f"{site}/api/v1/radars").json()[1]["name"] == "video work"
        browser.close()


def test_the_api_docs_render_from_package_files_under_the_csp(page, site: str) -> None:  # type: ignore[no-untyped-def]
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(site) and not r.url.startswith("data:") else None)
    page.goto(f"{site}/api/docs")
    page.wait_for_selector(".opblock", timeout=30_000)  # was blank: a CDN script the CSP blocked
    assert page.locator(".opblock").count() > 30
    assert "/api/v1/feed/next" in page.inner_text("#swagger-ui")
    assert not outside and not refused, (outside, refused)


def test_a_mistyped_chip_is_explained_under_the_input_and_kept(page, site: str) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    page.goto(site + "/")
    page.get_by_label("类型").select_option("keyword")
    page.get_by_label("关注", exact=True).fill("foo (bar")
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.locator("#chip-error")).to_contain_text("无法将“foo (bar”识别为关键词")
    expect(page.get_by_label("关注", exact=True)).to_have_value("foo (bar")  # the typed text is not lost
    expect(page.get_by_label("类型")).to_have_value("keyword")
    assert page.locator("article.card").count() == 10  # still the feed, not an error page
    page.locator("#chip-error button", has_text="foo bar").click()
    expect(page.locator(".chips .chip", has_text="关键词: foo bar")).to_have_count(1)

    page.get_by_label("类型").select_option("category")
    page.get_by_label("关注", exact=True).fill("not-a-category")
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.locator("#chip-error")).to_contain_text("不是 arXiv 分类名")
    suggestions = page.locator("#chip-error .suggestion button").all_inner_texts()
    assert suggestions and all("." in s or s.isalpha() for s in suggestions)
    page.get_by_label("关注", exact=True).fill("astroph.ga")  # close to a category of the store
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.locator("#chip-error .suggestion button").first).to_have_text("astro-ph.GA")
    page.locator("#chip-error .suggestion button").first.click()
    expect(page.locator(".chips .chip", has_text="astro-ph.GA")).to_have_count(1)
    assert page.dialogs == []


def test_a_double_click_on_show_another_batch_records_one_batch(page, site: str,  # type: ignore[no-untyped-def]
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Two clicks within about 30 ms posted the form twice: two batches were recorded and the page
    # showed the second, so the first one's ten papers counted as seen without ever being shown.
    import httpx

    from academichub.radar import feed as feed_module

    def batch() -> int:
        return httpx.get(f"{site}/api/v1/feed").json()["batch"]

    page.goto(site + "/")
    for delay in (0, 15, 40):
        before = batch()
        page.evaluate(f"""() => {{ const b = document.getElementById('next-batch');
                                    b.click(); setTimeout(() => b.click(), {delay}); }}""")
        page.wait_for_timeout(1000)
        page.wait_for_load_state("networkidle")
        assert batch() == before + 1
        assert page.locator("p.status").inner_text().startswith(f"第 {before + 1} 批")
    # Back to the page before, a while later: its 换一批 is a new batch, not the one seen next.
    monkeypatch.setattr(feed_module, "SENT_TWICE_SECONDS", 0.5)
    page.goto(site + "/")
    page.click("#next-batch")
    page.wait_for_load_state("networkidle")
    newest = batch()
    page.go_back()
    page.wait_for_timeout(700)
    assert page.locator("p.status").inner_text().startswith(f"第 {newest - 1} 批")
    page.click("#next-batch")
    page.wait_for_load_state("networkidle")
    assert batch() == newest + 1 and page.locator("p.status").inner_text().startswith(f"第 {newest + 1} 批")


def test_a_form_clicked_twice_is_sent_once(accounts_site: str) -> None:
    # A double click on "Create account" posted the form twice: the account was made by the first
    # and the reader was shown the second's "the name is taken". The same held for every form.
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        for delay in (0, 15, 40):
            page = browser.new_context(locale="en-US").new_page()
            page.goto(f"{accounts_site}/signup")
            page.get_by_label("User name").fill(f"twice{delay}")
            page.get_by_label("Password").fill("correct horse battery")
            page.evaluate(f"""() => {{ const b = document.querySelector('form button[type=submit]');
                                        b.click(); setTimeout(() => b.click(), {delay}); }}""")
            page.wait_for_url(accounts_site + "/")
            page.wait_for_timeout(500)
            assert page.url == accounts_site + "/" and "is taken" not in page.content()
            page.go_back()  # a form brought back from the browser's memory can be sent again
            page.wait_for_timeout(200)
            assert page.evaluate("document.querySelectorAll('form[data-sending]').length") == 0
        browser.close()


def test_a_consortium_papers_abstract_is_near_the_top_and_any_author_can_be_followed(  # type: ignore[no-untyped-def]
        page, site: str) -> None:
    """A paper of 1,776 authors put a follow form under every name: 1 MB of page, and on a phone
    the abstract began 29,600 px down. The first 30 names show; the rest open on a click."""
    expect = playwright_api.expect
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site + "/paper/arxiv:2508.20721")
    assert page.evaluate("document.querySelector('.abstract').getBoundingClientRect().top") < 2 * 844
    assert page.locator(".author-list li:visible").count() == 30
    more = page.locator("details.more-authors summary")
    expect(more).to_have_text("全部 1776 位作者")
    more.click()
    assert page.locator(".author-list li:visible").count() == 1776
    late = page.locator(".author-list li").nth(1000)
    name = late.locator(".author-name").inner_text()
    late.get_by_role("button").click()
    page.wait_for_load_state()
    assert page.url.endswith("/paper/arxiv:2508.20721")  # back on the paper page
    import httpx
    followed = [s["value"] for s in httpx.get(f"{site}/api/v1/subscriptions").json() if s["kind"] == "author"]
    assert name in followed and name != "Jianxiang He"
    assert len(httpx.get(f"{site}/paper/arxiv:2508.20721").content) < 500_000  # was 1,071,520 bytes


def test_times_read_in_the_readers_own_time_zone(site: str, sample_home: Path) -> None:
    """The briefings, sources, account and admin pages printed stored times in UTC without saying
    so: a reader in Beijing saw a briefing written at 08:30 their time as "00:30"."""
    from datetime import UTC, datetime

    import httpx

    with Store.open(make_settings(sample_home)) as store:
        user, radar = store.accounts.ensure_local_user()
        kept = store.briefings.save(user.id, radar.id, period="day", start=date(2025, 9, 26), end=date(2025, 9, 26),
                                    lang="zh", mode="offline", input_hash="tz", content={"papers": []})
    written = kept.created_at.astimezone(UTC)
    plain = httpx.get(f"{site}/briefings").text  # what a reader without the script gets: UTC, said so
    assert f'>{written.strftime("%Y-%m-%d %H:%M")} UTC</time>' in plain
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        tab = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
        tab.goto(site + "/briefings")
        shown = tab.locator(f'time[datetime="{written.isoformat(timespec="seconds")}"]').inner_text()
        beijing = written.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo)
        assert shown == beijing.strftime("%Y-%m-%d %H:%M")
        browser.close()

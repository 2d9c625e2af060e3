"""Pages and their JSON twins, in-process against a real database (SQLite sample)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from academichub.ingest.pipeline import ingest
from academichub.model import Author, Paper
from academichub.storage.store import Store
from academichub.web.app import create_app
from tests.conftest import make_settings
from tests.llm_server import scripted_llm

XSS_TITLE = "Attention <script>alert('title')</script> is all you need"
XSS_ABSTRACT = 'We show <img src=x onerror="alert(1)"> and $\\text{<img src=y onerror=alert(2)>}$ tricks.'


@pytest.fixture
def client(sample_home: Path) -> Iterator[TestClient]:
    settings = make_settings(sample_home)
    with TestClient(create_app(settings), follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_first_screen(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert html.count("学术情报 · 每日精选") == 1  # the tagline, once (in the header)
    assert "探索全球前沿学术脉络" in html and "定制您的专属科研雷达" in html
    assert ">换一批<" in html
    assert re.findall(r'<span class="num">(\d\d)\.</span>', html)[:3] == ["01", "02", "03"]
    assert re.search(r'<span class="label" translate="no">arXiv \([A-Z-]+\.[A-Z]+\)</span>', html)
    assert '<time datetime="2025-09-26">' in html
    assert 'href="/paper/arxiv:' in html


def test_feed_json_twin_follows_the_contract(client: TestClient) -> None:
    html_numbers = re.findall(r'data-id="([^"]+)"', client.get("/").text)
    data = client.get("/api/v1/feed").json()
    assert data["batch"] == 1 and [i["id"] for i in data["items"]] == html_numbers
    item = data["items"][0]
    assert {"id", "title", "authors", "source_label", "date", "abstract", "reasons"} <= set(item)
    assert item["source_label"].startswith("arXiv (") and item["reasons"]


def test_chips_add_remove_and_next_batch_through_forms(client: TestClient) -> None:
    token = csrf_of(client.get("/").text)
    added = client.post("/subscriptions", data={"kind": "author", "value": "Jianxiang He", "csrf": token})
    assert added.status_code == 303 and added.headers["location"] == "/"
    html = client.get("/").text
    assert '作者: <span translate="no">Jianxiang He</span>' in html and 'aria-label="移除 Jianxiang He"' in html
    first_three = re.findall(r'data-id="([^"]+)"', html)[:3]
    assert set(first_three) == {"arxiv:2503.13139", "arxiv:2508.06869", "arxiv:2509.21113"}
    # Cards from before the printed range (his August paper) are explained on the status line.
    lookback = "另含所关注作者近 365 天的论文"
    assert '<time datetime="2025-08-12">' in html and lookback in html
    assert lookback not in client.get("/?period=week").text
    chip_id = re.search(r'action="/subscriptions/(\d+)/delete"', html).group(1)
    removed = client.post(f"/subscriptions/{chip_id}/delete", data={"csrf": token})
    html = client.get("/").text
    assert removed.status_code == 303 and ">Jianxiang He</span>" not in html and lookback not in html
    before = set(re.findall(r'data-id="([^"]+)"', client.get("/").text))
    nxt = client.post("/feed/next", data={"csrf": token, "period": "recent"})
    assert nxt.status_code == 303
    after = set(re.findall(r'data-id="([^"]+)"', client.get(nxt.headers["location"]).text))
    assert after and not after & before


def test_a_keyword_that_matches_no_paper_is_said_so_under_the_chip_box(client: TestClient) -> None:
    # "量子纠错" over English papers, or a misspelt keyword, was followed without a word: no card, no error.
    token = csrf_of(client.get("/").text)
    added = client.post("/subscriptions", data={"kind": "keyword", "value": "量子纠错", "csrf": token,
                                                "next": "/?period=week&unmatched=1"})
    chip_id = re.search(r"unmatched=(\d+)", added.headers["location"]).group(1)
    assert added.status_code == 303 and added.headers["location"] == f"/?period=week&unmatched={chip_id}"
    html = client.get(added.headers["location"]).text
    note = re.search(r'<p class="chip-note" role="status">([^<]*)</p>', html).group(1)
    assert "量子纠错" in note and "英文" in note and 'aria-current="true">本周<' in html  # the week still shown
    assert "chip-note" not in client.get("/?period=week").text  # said once, not on every page
    typo = client.post("/subscriptions", data={"kind": "keyword", "value": "galaxxxy", "csrf": token,
                                               "next": f"/?unmatched={chip_id}&lang=en"})
    html = client.get(typo.headers["location"]).text
    assert "No stored paper matches “galaxxxy” yet" in html and "量子纠错" not in re.search(
        r'class="chip-note"[^>]*>([^<]*)', html).group(1) and "in English" not in html
    # A keyword with papers, and any other chip, goes back to the page it came from.
    for kind, value in (("keyword", "galaxy"), ("category", "cs.CL")):
        again = client.post("/subscriptions", data={"kind": kind, "value": value, "csrf": token,
                                                    "next": f"/?unmatched={chip_id}"})
        assert again.headers["location"] == "/"
    # Someone else's chip, one that is gone, or a mangled value says nothing, and the page is shown.
    for value in ("999999", "abc", "-1", "99999999999999999999", "٣"):
        page = client.get("/", params={"unmatched": value})
        assert page.status_code == 200 and "chip-note" not in page.text, value


def test_two_authors_typed_in_one_box_are_offered_one_by_one(client: TestClient) -> None:
    token = csrf_of(client.get("/").text)
    refused = client.post("/subscriptions", data={"kind": "author", "value": "Jianxiang He, Weiyu Guo", "csrf": token})
    assert refused.status_code == 422 and "包含多位作者：请逐一关注" in refused.text
    offered = re.findall(r'<input type="hidden" name="value" value="([^"]+)">', refused.text)
    assert offered == ["Jianxiang He", "Weiyu Guo"]
    client.post("/subscriptions", data={"kind": "author", "value": offered[0], "csrf": token})
    assert [c["value"] for c in client.get("/api/v1/subscriptions").json()] == ["Jianxiang He"]


def test_forms_without_the_token_are_refused(client: TestClient) -> None:
    assert client.post("/feed/next", data={}).status_code == 403
    assert client.post("/subscriptions", data={"kind": "author", "value": "X", "csrf": "0" * 64}).status_code == 403
    assert client.get("/api/v1/subscriptions").json() == []


def test_api_subscriptions_and_json_only_writes(client: TestClient) -> None:
    assert client.post("/api/v1/subscriptions", data={"kind": "author", "value": "X"}).status_code == 415
    created = client.post("/api/v1/subscriptions", json={"kind": "keyword", "value": "galaxy"})
    assert created.status_code == 201 and created.json()["value"] == "galaxy"
    bad = client.post("/api/v1/subscriptions", json={"kind": "planet", "value": "Mars"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    assert "unknown subscription kind" in bad.json()["error"]["message"]
    assert client.delete(f"/api/v1/subscriptions/{created.json()['id']}").status_code == 204
    assert client.delete("/api/v1/subscriptions/999").status_code == 404
    assert client.get("/api/v1/feed").json()["batch"] == 1
    nxt = client.post("/api/v1/feed/next", json={"period": "week"})
    assert nxt.status_code == 200 and nxt.json()["batch"] == 2 and nxt.json()["period"]["spec"] == "week"


def test_paper_page_and_twin(client: TestClient) -> None:
    page = client.get("/paper/arxiv:2508.06869")
    assert page.status_code == 200
    for fragment in ("VSI: Visual Subtitle Integration", "https://arxiv.org/abs/2508.06869",
                     "https://arxiv.org/pdf/2508.06869", "cs.CV", "2025-08-12", "Jianxiang He"):
        assert fragment in page.text
    twin = client.get("/api/v1/papers/arxiv:2508.06869").json()
    assert twin["arxiv_id"] == "2508.06869" and twin["source_label"] == "arXiv (CS.CV)"
    assert client.get("/paper/arxiv:0000.00000").status_code == 404
    assert client.get("/api/v1/papers/nonsense").json()["error"]["code"] == "not_found"


def test_search_page_and_twin(client: TestClient) -> None:
    page = client.get("/search", params={"q": "keyframe video"})
    assert page.status_code == 200 and "arxiv:2508.06869" in page.text
    twin = client.get("/api/v1/search", params={"q": "keyframe video", "limit": 5}).json()
    assert twin["total"] > 5 and len(twin["items"]) == 5
    assert client.get("/api/v1/search", params={"q": ""}).status_code == 400
    filtered = client.get("/api/v1/search", params={"q": "galaxy", "category": "astro-ph.GA",
                                                   "from": "2025-09-22", "to": "2025-09-26"}).json()
    assert filtered["items"] and all("2025-09-22" <= i["date"] <= "2025-09-26" for i in filtered["items"])
    # The source is chosen from the sources there are (a text box took any word and found nothing).
    narrowed = client.get("/search", params={"q": "galaxy", "source": "arxiv", "lang": "en"}).text
    assert '<option value="arxiv" selected>arXiv</option>' in narrowed and '<option value="pubmed">PubMed</option>' in narrowed
    refused = client.get("/search", params={"q": "galaxy", "source": "Nature", "lang": "zh"}).text
    assert "没有这个来源：请选择 arXiv、bioRxiv、medRxiv、Crossref、期刊订阅源、OpenAlex 或 PubMed。" in refused
    assert client.get("/api/v1/search", params={"q": "galaxy", "source": "Nature"}).status_code == 400


def test_a_count_of_one_reads_in_the_singular(client: TestClient) -> None:
    """The search page said "1 results" and the library "1 items imported"."""
    one = {"q": '"Visual Subtitle Integration"', "mode": "text"}
    assert client.get("/api/v1/search", params=one).json()["total"] == 1
    assert '<p class="status">1 result</p>' in client.get("/search", params={**one, "lang": "en"}).text
    assert '<p class="status">共 1 条结果</p>' in client.get("/search", params={**one, "lang": "zh"}).text
    many = client.get("/search", params={"q": "keyframe", "mode": "text", "lang": "en"}).text
    assert re.search(r'<p class="status">\d+ results</p>', many)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/library?lang=en").text).group(1)
    one_entry = b"@article{a, title={A paper nobody has stored, about sheep}, doi={10.9999/none}}\n"
    page = client.post("/library", data={"csrf": csrf}, files={"file": ("one.bib", one_entry, "application/x-bibtex")},
                       follow_redirects=True).text
    assert "1 item imported in" in page and "1 items" not in page


def test_favicon_and_a_period_that_belongs_to_its_window(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert '<rect' in icon.text
    everything = client.get("/", params={"period": "all"}).text
    assert 'href="/?period=all" aria-current="true"' in everything
    # A new window opens on the default period, not on what another window chose.
    fresh = client.get("/").text
    assert 'href="/?period=recent" aria-current="true"' in fresh and 'period=all" aria-current' not in fresh


def test_a_chinese_query_over_english_papers(sample_home: Path) -> None:
    with TestClient(create_app(make_settings(sample_home)), follow_redirects=False) as offline:
        page = offline.get("/search", params={"q": "视频", "lang": "zh"})
        assert "共 0 条结果" in page.text and "请尝试用英文术语检索" in page.text
    with scripted_llm(lambda messages: "video\n") as (url, llm):
        settings = make_settings(sample_home, llm={"base_url": url, "model": "scripted", "timeout": 5, "retries": 0})
        with TestClient(create_app(settings), follow_redirects=False) as translating:
            page = translating.get("/search", params={"q": "视频", "lang": "zh"})
    assert llm.requests and llm.requests[0]["messages"][-1]["content"] == "视频"
    assert "已改用英文检索" in page.text and "<code>video</code>" in page.text
    assert page.text.count('class="card') >= 10 and "请尝试用英文术语检索" not in page.text


def test_untrusted_titles_and_abstracts_are_shown_as_text(sample_home: Path) -> None:
    settings = make_settings(sample_home)
    with Store.open(settings) as store:
        ingest(store, [Paper(title=XSS_TITLE, source="arxiv", arxiv_id="2509.88888", arxiv_version=1,
                             abstract=XSS_ABSTRACT, authors=[Author("Mallory <b>", "mallory b")],
                             categories=["cs.CR"], primary_category="cs.CR", announced=date(2025, 9, 26),
                             links={"abs": "javascript:alert(3)"})], source="arxiv")
    with TestClient(create_app(settings)) as client:
        for url in ("/paper/arxiv:2509.88888", "/search?q=attention+need", "/?period=all"):
            html = client.get(url).text
            assert "<script>alert" not in html and "onerror=" not in html.replace("onerror=&#34;", "")
            assert "javascript:alert" not in html
        html = client.get("/paper/arxiv:2509.88888").text
        assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html and "Mallory &lt;b&gt;" in html


# Real DOIs hold characters a URL gives other meanings: a SICI DOI's "<", ">" and ";" (Wiley,
# AMS), and "#", "?" and "%" are legal too. A link that carried them raw lost what followed "#"
# or "?", and broke Slack's <url|title> and Markdown's [title](url). ("%" is left out here:
# Starlette's TestClient decodes a path twice; a served app reads "%2541" as "%41", checked by hand.)
ODD_DOIS = ["10.1002/(sici)1521-3951(199911)216:1<391::aid-pssb391>3.0.co;2-k", "10.1000/a#b?c"]


def test_a_paper_whose_doi_holds_url_characters_is_linked_to_its_own_page(sample_home: Path) -> None:
    from html import unescape

    from academichub.delivery.digest import build_digest
    from academichub.delivery.webhooks import markdown, payload
    from academichub.radar.feed import FeedService
    from academichub.radar.subscriptions import follow

    settings = make_settings(sample_home)
    with Store.open(settings) as store:
        ingest(store, [Paper(title=f"Odd identifier number {n}", source="crossref", doi=doi, abstract="Plain text.",
                             authors=[Author("Ada Lovelace", "ada lovelace")], published=date(2025, 9, 26),
                             venue="Physica Status Solidi")
                       for n, doi in enumerate(ODD_DOIS)], source="crossref")
        user = store.accounts.create_user("odd-doi-reader", "Reader")
        radar = store.accounts.default_radar(user.id)
        follow(store, radar.id, "author", "Ada Lovelace")
        digest = build_digest(FeedService(store, settings.feed), None, store.accounts.get_radar(radar.id),
                              cadence="daily", lang="en", papers=10, base_url="https://radar.example")
    with TestClient(create_app(settings)) as client:
        page = client.get("/search?q=%22odd+identifier+number%22").text
        links = {unescape(href) for href in re.findall(r'<a href="(/paper/doi:[^"]+)">', page)}
        shown = {re.search(r"Odd identifier number \d", client.get(link).text).group() for link in links}
        assert shown == {"Odd identifier number 0", "Odd identifier number 1"}
        for link in links:  # the paper page's own link to its JSON twin
            twin = unescape(re.search(r'<a href="(/api/v1/papers/[^"]+)">JSON</a>', client.get(link).text).group(1))
            assert client.get(twin).json()["id"] in {f"doi:{doi}" for doi in ODD_DOIS}
        odd = [item for item in digest.items if item.title.startswith("Odd identifier")]
        assert len(odd) == 2
        for item in odd:
            path = item.url.removeprefix("https://radar.example")
            assert not set("<>#?()") & set(path) and item.title in client.get(path).text
        slack = payload("slack", digest, None)[0]["blocks"]
        assert any(block["text"]["text"].startswith(f"*<{odd[0].url}|Odd identifier") for block in slack[1:])
        assert f"]({odd[0].url})" in markdown(digest)
    from academichub.briefing.export import paper_link  # a briefing's Markdown and HTML export: doi.org links

    assert all(not set("<>#?()") & set(paper_link(f"doi:{doi}")) for doi in ODD_DOIS)


def test_security_headers_and_local_assets_only(client: TestClient) -> None:
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page.text)
    assert assets and all(a.startswith("/static/") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200


def test_language_switch(client: TestClient) -> None:
    switched = client.get("/lang/en", params={"next": "/?period=week"})
    assert switched.status_code == 303 and switched.headers["location"] == "/?period=week"
    html = client.get("/").text
    assert "Explore the frontiers of global research" in html and "Show another batch" in html
    assert client.get("/lang/en", params={"next": "https://evil.example/"}).headers["location"] == "/"
    assert client.get("/lang/fr").status_code == 400
    assert "探索全球前沿学术脉络" in client.get("/?lang=zh").text


def test_openapi_and_health(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/feed", "/api/v1/feed/next", "/api/v1/papers/{paper_id}", "/api/v1/search"} <= set(spec["paths"])
    health = client.get("/api/v1/health").json()
    assert health == {"status": "ok", "works": 4223, "latest_day": "2025-09-26", "batch_process": "off"}


def test_feedback_through_the_api_hides_and_undo_restores(client: TestClient) -> None:
    first = client.get("/api/v1/feed").json()["items"][0]["id"]
    assert client.post("/api/v1/feedback", data={"paper": first, "action": "like"}).status_code == 415
    liked = client.post("/api/v1/feedback", json={"paper": first, "action": "like"})
    assert liked.status_code == 200 and liked.json() == {"paper": first, "feedback": ["like"]}
    saved = client.post("/api/v1/feedback", json={"paper": first, "action": "save"}).json()
    assert saved["feedback"] == ["like", "save"]
    assert client.get("/api/v1/feedback").json() == [{"paper": first, "feedback": ["like", "save"]}]
    undone = client.post("/api/v1/feedback/undo", json={"paper": first, "action": "save"}).json()
    assert undone["feedback"] == ["like"]
    bad = client.post("/api/v1/feedback", json={"paper": first, "action": "adore"})
    assert bad.status_code == 400 and "adore" in bad.json()["error"]["message"]
    missing = client.post("/api/v1/feedback", json={"paper": "arxiv:0000.00000", "action": "like"})
    assert missing.status_code == 404
    dismissed = client.post("/api/v1/feed/next", json={}).json()["items"][0]["id"]
    client.post("/api/v1/feedback", json={"paper": dismissed, "action": "dismiss"})
    assert dismissed not in [i["id"] for i in client.get("/api/v1/feed?seen=true").json()["items"]]
    client.post("/api/v1/feedback/undo", json={"paper": dismissed})
    assert client.get("/api/v1/feedback").json() == [{"paper": first, "feedback": ["like"]}]


def test_feedback_form_without_javascript_redirects_back(client: TestClient) -> None:
    html = client.get("/").text
    paper = re.search(r'href="/paper/([^"]+)"', html).group(1)
    response = client.post("/feedback", data={"csrf": csrf_of(html), "paper": paper, "action": "save"})
    assert response.status_code == 303
    assert client.get("/api/v1/feedback").json() == [{"paper": paper, "feedback": ["save"]}]
    assert client.post("/feedback", data={"paper": paper, "action": "save"}).status_code == 403


def test_similar_papers_on_the_api_and_the_paper_page(client: TestClient) -> None:
    found = client.get("/api/v1/papers/arxiv:2508.06869/similar?limit=5")
    assert found.status_code == 200 and len(found.json()) == 5
    assert "arxiv:2508.06869" not in [item["id"] for item in found.json()]
    assert client.get("/api/v1/papers/arxiv:0000.00000/similar").status_code == 404
    page = client.get("/paper/arxiv:2508.06869").text
    assert 'id="similar"' in page and all(item["id"] in page for item in found.json())


def test_library_upload_reports_matches_and_refuses_garbage(client: TestClient) -> None:
    bib = (b"@article{a, title={{VSI}: Visual Subtitle Integration for Keyframe Selection to Enhance Long Video Understanding}, year={2025}}\n"
           b"@article{b, title={A paper nobody has stored, about sheep}, doi={10.9999/none}}\n")
    created = client.post("/api/v1/library", files={"file": ("mine.bib", bib, "application/x-bibtex")})
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["total"] == report["imported"] == 2 and report["matched_total"] == 1 and report["unmatched"] == 1
    listed = client.get("/api/v1/library").json()
    assert [row["source"] for row in listed] == ["mine.bib"] and listed[0]["items"] == 2
    garbage = client.post("/api/v1/library", files={"file": ("x.bib", b"\x00\x01 not a library", "text/plain")})
    assert garbage.status_code == 400 and "x.bib" in garbage.json()["error"]["message"]
    assert client.get("/api/v1/library").json()[0]["items"] == 2  # the earlier import is intact


def test_author_decision_is_remembered(client: TestClient) -> None:
    client.post("/api/v1/subscriptions", json={"kind": "author", "value": "Jianxiang He"})
    answered = client.post("/api/v1/authors/decision",
                           json={"paper": "arxiv:2508.06869", "author": "Jianxiang He", "same": False})
    assert answered.status_code == 204
    bad = client.post("/api/v1/authors/decision", json={"paper": "arxiv:2508.06869", "author": "Nobody", "same": True})
    assert bad.status_code in (400, 404)


def test_lists_page_with_limit_offset_and_a_total(client: TestClient) -> None:
    items = client.get("/api/v1/feed").json()["items"][:5]
    for item in items:
        client.post("/api/v1/feedback", json={"paper": item["id"], "action": "save"})
    first = client.get("/api/v1/saved?limit=2")
    second = client.get("/api/v1/saved?limit=2&offset=2")
    assert first.headers["x-total-count"] == second.headers["x-total-count"] == "5"
    assert len(first.json()) == len(second.json()) == 2
    assert not {s["id"] for s in first.json()} & {s["id"] for s in second.json()}
    assert client.get("/api/v1/feedback?offset=4").headers["x-total-count"] == "5"
    assert len(client.get("/api/v1/feedback?offset=4").json()) == 1
    assert client.get("/api/v1/saved?limit=0").status_code == 422
    assert client.get("/api/v1/briefings").headers["x-total-count"] == "0"


def test_the_saved_page_shows_fifty_at_a_time_numbered_on(client: TestClient, sample_home: Path) -> None:
    """Every saved paper was one card on one page: 2,000 saved made /saved 6.3 MB."""
    import sqlite3
    with sqlite3.connect(sample_home / "academichub.db") as db:
        ids = [row[0] for row in db.execute("SELECT arxiv_id FROM works ORDER BY id LIMIT 120")]
    for arxiv_id in ids:
        assert client.post("/api/v1/feedback", json={"paper": f"arxiv:{arxiv_id}", "action": "save"}).status_code == 200
    newest_first = [f"arxiv:{i}" for i in reversed(ids)]
    pages = [client.get("/saved", params={"page": n}).text for n in (1, 2, 3)]
    shown = [re.findall(r'data-id="([^"]+)"', page) for page in pages]
    assert [len(cards) for cards in shown] == [50, 50, 20]
    assert [i for cards in shown for i in cards] == newest_first  # each once, most recently saved first
    assert '<span class="num">51.</span>' in pages[1] and '<span class="num">120.</span>' in pages[2]
    assert 'href="/saved?page=2"' in pages[0] and 'href="/saved?page=4"' not in pages[2]
    assert client.get("/saved", params={"page": 9}).status_code == 200
    api = client.get("/api/v1/saved", params={"limit": 30, "offset": 100})
    assert api.headers["x-total-count"] == "120" and [s["id"] for s in api.json()] == newest_first[100:]


def test_past_briefings_beyond_the_fiftieth_are_reached_page_by_page(sample_home: Path) -> None:
    """A daily briefing makes 365 a year; the page listed the newest 50 and nothing led further."""
    settings = make_settings(sample_home)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        store = client.app.state.academichub.store
        user, radar = store.accounts.ensure_local_user()
        kept = [store.briefings.save(user.id, radar.id, period="day", start=date(2025, 1, 1), end=date(2025, 1, 1),
                                     lang="en", mode="offline", input_hash=f"h{n}", content={"papers": []}).id
                for n in range(60)]
        pages = [client.get("/briefings", params={"page": n}).text for n in (1, 2)]
        listed = [[int(i) for i in dict.fromkeys(re.findall(r'<td><a href="/briefings/(\d+)">', page))] for page in pages]
        assert listed == [kept[::-1][:50], kept[::-1][50:]]
        assert 'href="/briefings?page=2"' in pages[0] and 'href="/briefings?page=1"' in pages[1]
        assert "page=3" not in pages[1]


def test_a_chip_error_message_with_braces_is_shown_not_formatted() -> None:
    from academichub.errors import InputError
    from academichub.web.pages import chip_problem

    assert chip_problem(InputError("radar: {weird} value"), "{weird}", lambda s: s) == "radar: {weird} value"
    assert chip_problem(InputError("x", problem="keyword"), "foo {bar", lambda s: s).startswith("“foo {bar”")
    assert chip_problem(InputError("x", problem="too-many"), "w", lambda s: s).startswith("This radar follows 200")


def test_a_doi_with_a_hash_links_to_the_whole_doi(tmp_path: Path) -> None:
    # The page linked "https://doi.org/10.1002/x#y" as the source stored it: the browser took "#y"
    # for a fragment and doi.org resolved 10.1002/x, another work or none.
    settings = make_settings(tmp_path / "home")
    with Store.open(settings) as store:
        ingest(store, [Paper(title="A work whose DOI holds a hash", source="crossref", doi="10.1002/x#y<1>",
                             published=date(2025, 9, 26), links={"doi": "https://doi.org/10.1002/x#y<1>"})],
               source="crossref")
    with TestClient(create_app(settings)) as client:
        page = client.get("/paper/doi:10.1002%2Fx%23y%3C1%3E")
        assert page.status_code == 200
        assert 'href="https://doi.org/10.1002/x%23y%3C1%3E"' in page.text
        assert "https://doi.org/10.1002/x#" not in page.text


def test_a_reason_naming_a_paper_shows_its_title_typeset_and_escaped() -> None:
    # "closest to «The $z\\sim2$ galaxies», a paper you keep" showed the title's TeX source, where
    # the card above it shows the same kind of title as MathML (3.8% of the corpus's titles have math).
    from academichub.ranking.reasons import Reason
    from academichub.web.pages import reason_html

    html = str(reason_html(Reason("similar_to", r"The $z\sim2$ galaxies <b>x</b> at 14\,--\,22 kpc", "library"),
                           lambda s: s))
    assert "<math" in html and "$z" not in html and "&lt;b&gt;x&lt;/b&gt;" in html and "\u2013" in html
    assert str(reason_html(Reason("author", "A. <i>Bad</i> $x$"), lambda s: s)).count("$x$") == 1  # a name as written


def test_error_pages_speak_the_readers_language_and_say_what_was_wrong(client: TestClient) -> None:
    # An English browser got "出错了 (404)": the error pages read the language cookie only. A date
    # range that ends before it starts said only "The request could not be used."
    english, chinese = {"Accept-Language": "en-US,en;q=0.9"}, {"Accept-Language": "zh-CN,zh;q=0.9"}
    missing = client.get("/paper/arxiv:0000.00000", headers=english)
    assert missing.status_code == 404 and "Something went wrong (404)" in missing.text and "出错了" not in missing.text
    assert "出错了 (404)" in client.get("/paper/arxiv:0000.00000", headers=chinese).text
    assert "详细信息：<code>" in client.get("/paper/arxiv:0000.00000", headers=chinese).text  # a Chinese colon
    assert "Something went wrong" in client.get("/paper/arxiv:0000.00000?lang=en", headers=chinese).text
    backwards = client.get("/?from=2025-09-10&to=2025-09-01", headers=english)
    assert backwards.status_code == 400 and "The date range ends before it starts." in backwards.text
    assert "没有这样的时段" in client.get("/?period=fortnight", headers=chinese).text
    searched = client.get("/search?q=x&date_from=2025-09-10&date_to=2025-09-01", headers=chinese).text
    assert "日期范围的结束早于开始。" in searched and "search: the range ends" in searched  # the detail stays
    assert "没有这种检索模式" in client.get("/search?q=x&mode=foo", headers=chinese).text


def test_a_library_file_refused_on_the_page_is_said_in_the_readers_language(client: TestClient) -> None:
    # A Chinese page answered "library: cannot tell the format of notes.txt; name it with --format":
    # English, and a command-line option the page has no field for.
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    csrf = csrf_of(client.get("/library", headers=chinese).text)
    for name, data, said in [("notes.txt", b"not a library at all", "无法判断文件的格式"),
                             ("mine.bib", b"@article{x, title={T}", "文件中没有可用的条目"),
                             ("mine.bib.gz", b"\x1f\x8b\x08\x00 cut", "无法将此文件读取为文献库文件")]:
        page = client.post("/library", data={"csrf": csrf}, files={"file": (name, data, "application/octet-stream")},
                           headers=chinese)
        assert page.status_code == 400 and said in page.text, (name, page.text[-600:])
    assert "--format" not in client.post("/library", data={"csrf": csrf}, headers=chinese,
                                         files={"file": ("notes.txt", b"x y z", "text/plain")}).text.split("<code>")[0]
    orcid = client.post("/library/orcid", data={"csrf": csrf, "orcid": "0000-0002-1825-0098"}, headers=chinese)
    assert "这不是有效的 ORCID iD" in orcid.text
    # The iD in every spelling the importer reads (its URL without https://, 16 characters) reaches
    # it: the field's pattern let the browser send the 19-character form and the https URL only.
    field = re.search(r'<input name="orcid"[^>]*>', client.get("/library").text).group(0)
    assert "pattern=" not in field


def test_a_library_imports_report_is_in_the_readers_language(client: TestClient) -> None:
    # The report listed why entries were skipped and how they matched in the readers' words only
    # ("unparsable BibTeX block: 1; no title: 1" on a Chinese page).
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    csrf = csrf_of(client.get("/library", headers=chinese).text)
    bib = (b"@article{a, title={Dark matter halos}, author={Smith, A}}\n@article{b, title={Broken\n"
           b"@misc{d, author={Nobody}}\n@article{a2, title={Dark matter halos}, author={Smith, A}}\n"
           b"@article{e, title={Unlearning}, eprint={2508.16138}, archivePrefix={arXiv}}\n")
    page = client.post("/library", data={"csrf": csrf}, files={"file": ("mine.bib", bib, "application/x-bibtex")},
                       headers=chinese)
    report = page.text.split('class="report"')[1].split("</div>")[0]
    assert page.status_code == 200
    assert "（无法读取的 BibTeX 条目：1；没有标题：1；文件中已有：1）" in report, report
    assert "（arXiv 编号 1）" in report and "（«Dark matter halos»）" in report and "unparsable" not in report
    english = client.post("/library?lang=en", data={"csrf": csrf}, files={"file": ("mine.bib", bib, "text/plain")})
    assert "(an unreadable BibTeX entry: 1; no title: 1; already in the file: 1)" in english.text
    assert "(arXiv id 1)" in english.text and "(«Dark matter halos»)" in english.text


def test_the_library_page_lists_a_files_entries_and_what_each_matched(client: TestClient) -> None:
    english = {"Accept-Language": "en"}
    csrf = csrf_of(client.get("/library", headers=english).text)
    entries = "".join(f"@article{{k{n}, title={{Entry number {n} of a long file}}}}\n" for n in range(1, 151))
    bib = ("@article{m1, title={Anything at $z\\sim2$}, eprint={2509.21113}, archivePrefix={arXiv}}\n" + entries).encode()
    client.post("/library", data={"csrf": csrf}, files={"file": ("long name & more.bib", bib, "text/plain")})
    page = client.get("/library", headers=english).text
    link = re.search(r'<a href="(/library\?source=[^"]+)#entries"', page).group(1)
    assert link == "/library?source=long+name+%26+more.bib"
    first = client.get("/library?source=long+name+%26+more.bib", headers=english)
    assert first.status_code == 200 and first.text.count("<li><span class=\"title\"") == 100
    assert 'href="/paper/arxiv:2509.21113">matched by arXiv id</a>' in first.text and "<math" in first.text
    assert "not matched: learnt from its own text" in first.text and 'start="1"' in first.text
    more = re.search(r'<a href="([^"]+)">Next page</a>', first.text).group(1).replace("&amp;", "&")
    second = client.get(more, headers=english).text
    assert 'start="101"' in second and second.count("<li><span class=\"title\"") == 51
    assert "Entry number 150 of a long file" in second and "Next page" not in second
    assert "按arXiv 编号匹配" in client.get(link, headers={"Accept-Language": "zh-CN"}).text
    assert client.get("/library?source=nothing.bib").status_code == 404
    client.post("/library", data={"csrf": csrf}, files={"file": ("short.bib", b"@article{x, title={x}}", "text/plain")})
    assert "not matched, and too short to learn from" in client.get("/library?source=short.bib", headers=english).text
    api = client.get("/api/v1/library/entries", params={"source": "long name & more.bib"}).json()
    assert len(api) == 151 and api[0] == {"title": "Anything at $z\\sim2$", "year": None, "match": "arxiv",
                                          "paper": "arxiv:2509.21113"}
    assert api[-1] == {"title": "Entry number 150 of a long file", "year": None, "match": None, "paper": None}
    assert client.get("/api/v1/library/entries", params={"source": "long name & more.bib", "page": 2}).json() == []
    assert client.get("/api/v1/library/entries", params={"source": "nothing.bib"}).status_code == 404


def test_a_refused_delivery_or_radar_is_said_beside_its_form(client: TestClient) -> None:
    # A webhook inside the network or a second radar of one name led to an error page ("The request
    # could not be used." with the service's English words); the form and what was typed were gone.
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    csrf = csrf_of(client.get("/account", headers=chinese).text)
    for data, said in [({"channel": "feishu", "target": "http://127.0.0.1:9/hook"}, "无法向此地址推送"),
                       ({"channel": "feishu", "target": "feishu.example/hook"}, "Webhook 需要填写其地址"),
                       ({"channel": "wecom", "target": "https://qyapi.weixin.qq.com/x", "secret": "s"}, "不使用签名")]:
        page = client.post("/account/deliveries", data={"csrf": csrf, **data}, headers=chinese)
        assert page.status_code == 400 and said in page.text and 'action="/account/deliveries"' in page.text, data
    assert client.post("/account/radars", data={"csrf": csrf, "name": "Twin"}).status_code == 303
    again = client.post("/account/radars", data={"csrf": csrf, "name": "Twin"}, headers={"Accept-Language": "en"})
    assert again.status_code == 400 and "You already have a radar of that name." in again.text


def test_a_paper_page_numbers_affiliations_once_and_says_when_there_is_no_abstract(tmp_path: Path) -> None:
    # Each of a PubMed paper's 22 authors was followed by their whole affiliation: the abstract
    # began 2,825 px down a phone. A paper without an abstract showed an empty "Abstract" section.
    from academichub.sources import pubmed

    settings = make_settings(tmp_path / "home")
    with Store.open(settings) as store:
        ingest(store, pubmed.parse((Path(__file__).parent / "data/pubmed/pubmed4.xml").read_bytes()), source="pubmed")
        ingest(store, [Paper(title="A letter without an abstract", source="crossref", doi="10.1038/x1",
                             published=date(2025, 9, 26))], source="crossref")
    with TestClient(create_app(settings)) as client:
        page = client.get("/paper/doi:10.1136/gutjnl-2016-312510", headers={"Accept-Language": "en"}).text
        places = re.findall(r"<li>([^<]+)</li>", page.split('class="affiliations"')[1].split("</details>")[0])
        assert len(places) == len(set(places)) == 13  # each place once, numbered in order
        names = page.split('class="author-list"')[1].split("</ul>")[0]
        assert '<span class="author-name">Ying Bao</span><sup class="affil-marks">1</sup>' in names
        assert "Harvard" not in names and "13 affiliations" in page
        bare = client.get("/paper/doi:10.1038/x1", headers={"Accept-Language": "en"}).text
        assert "The source gives no abstract" in bare and 'class="abstract full"' not in bare


def test_a_paper_page_links_to_every_place_the_paper_can_be_read(tmp_path: Path) -> None:
    # The page linked "arXiv page", PDF and DOI only: a bioRxiv preprint's own page was labelled
    # the arXiv page, a PubMed paper without a DOI had no link at all (its abstract said "the
    # publisher's page may have one"), and a journal feed's article page and OpenAlex were left out.
    import html
    import json

    from academichub.sources import biorxiv, journal_rss, openalex, pubmed

    data = Path(__file__).parent / "data"
    settings = make_settings(tmp_path / "home")
    with Store.open(settings) as store:
        ingest(store, biorxiv.parse((data / "biorxiv/details_10.1101_641381.json").read_bytes()).items, source="biorxiv")
        ingest(store, pubmed.parse((data / "pubmed/pubmed1.xml").read_bytes()), source="pubmed")
        ingest(store, openalex.parse((data / "openalex/W2741809807.json").read_bytes()).items, source="openalex")
        ingest(store, journal_rss.parse((data / "journal_rss/nature_current_2024-07-18.rdf.xml").read_bytes()),
               source="journal")
        no_doi = [w for w in store.works.get_many(store.works.ids()) if w.paper.pmid and not w.paper.doi]
    assert no_doi, "the recorded PubMed file holds a paper without a DOI"

    def links(client: TestClient, public_id: str) -> list[tuple[str, str]]:
        page = client.get(f"/paper/{public_id}", headers={"Accept-Language": "en"}).text
        block = page.split('<p class="links">')[1].split("</p>")[0]
        return [(html.unescape(label), url) for url, label in re.findall(r'<a href="(http[^"]+)"[^>]*>([^<]+)</a>', block)]

    with TestClient(create_app(settings)) as client:
        assert links(client, "doi:10.1101/641381")[0] == ("bioRxiv page", "https://www.biorxiv.org/content/10.1101/641381v2")
        assert links(client, no_doi[0].public_id) == [("PubMed", f"https://pubmed.ncbi.nlm.nih.gov/{no_doi[0].paper.pmid}/")]
        assert ("OpenAlex", "https://openalex.org/W2741809807") in links(client, "doi:10.7717/peerj.4375")
        assert ("PubMed", "https://pubmed.ncbi.nlm.nih.gov/29456894/") in links(client, "doi:10.7717/peerj.4375")
        assert links(client, "doi:10.1038/s41586-024-07624-5") == [
            ("DOI", "https://doi.org/10.1038/s41586-024-07624-5"),
            ("Publisher's page", "https://www.nature.com/articles/s41586-024-07624-5")]
        chinese = client.get("/paper/doi:10.1101/641381", headers={"Accept-Language": "zh-CN"}).text
        assert ">bioRxiv 页面<" in chinese and "PMID" not in json.dumps(links(client, "doi:10.1101/641381"))


def test_a_paper_pages_title_shows_its_tex_as_text(client: TestClient) -> None:
    # The browser's tab and a bookmark read "… Model-independent $H_0$ constraints …", where the
    # page's heading typesets it (a <title> holds text only, no MathML).
    page = client.get("/paper/arxiv:2509.20898", headers={"Accept-Language": "en"}).text
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1)
    assert "Model-independent H₀ constraints from DESI R2 · AcademicHub" in title and "$" not in title


def test_a_papers_own_text_says_its_language(client: TestClient) -> None:
    # On a Chinese page the English titles and abstracts had no lang of their own: a screen reader
    # read them in its Chinese voice (WCAG 3.1.2), and the fonts could not tell them apart.
    from academichub.web.text_language import text_language

    page = client.get("/", headers={"Accept-Language": "zh-CN"}).text
    assert page.count('class="abstract clamp" translate="no" lang="en"') == 10
    assert re.search(r'<h2 class="title" translate="no" id="[^"]+" lang="en">', page)
    assert text_language("基于深度学习的图像分割方法研究") == "zh"
    assert text_language("Étude des équations aux dérivées partielles") == ""  # not English; the page's stands
    assert text_language("Deep learning for the $\\alpha$ decay") == "en" and text_language("") == ""

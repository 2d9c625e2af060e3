"""The first ten minutes in a real browser: the sample's first screen, every page at phone and
desktop widths in both languages, and no English left in the Chinese interface."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from academichub import compose
from academichub.briefing.service import Request
from academichub.cli.app import init_store
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_server
from tests.conftest import make_settings

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (scripts/test installs it)")]

JS = Path(__file__).parent / "js"
LAYOUT_PROBLEMS = (JS / "layout_problems.js").read_text()
UNTRANSLATED = (JS / "untranslated.js").read_text()
UNNAMED_CONTROLS = (JS / "unnamed_controls.js").read_text()
SMALL_TARGETS = (JS / "small_targets.js").read_text()
ERROR_PAGES = {"/paper/arxiv:0000.00000": 404, "/search?page=0": 422}
SIZES = {"phone": (390, 844), "desktop": (1280, 800), "small-phone": (320, 640), "tablet": (768, 1024),
         "fold": (280, 653)}  # a folding phone's cover screen
PAGES = ("/", "/search?q=unlearning", "/search?q=foo+(bar", "/search?q=视频", "PAPER", "/library", "/briefings", "/briefings/1", "/briefings/2", "/sources",
         "/account", "/admin")


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh install as `academichub up` makes it (the sample loaded by `init_store`), with a Chinese
    week's briefing and an English day's, served on a free port."""
    settings = make_settings(tmp_path_factory.mktemp("first-run") / "home")
    with init_store(settings) as store:
        services = compose.build(settings, store=store, background=False)
        _user, radar = store.accounts.ensure_local_user()
        services.briefing.build(Request(radar, "week", "zh", False))
        services.briefing.build(Request(radar, "day", "en", False))
    with running_server(settings) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def _tab(browser, base: str, lang: str, size: str = "desktop"):  # type: ignore[no-untyped-def]
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US", viewport={"width": width, "height": height})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.errors = errors
    return tab


def _visit(tab, base: str, path: str, status: int = 200) -> str:  # type: ignore[no-untyped-def]
    if path == "PAPER":
        tab.goto(base + "/")
        path = tab.locator("article.card h2.title a").first.get_attribute("href")
    response = tab.goto(base + path)
    assert response.status == status, (path, response.status)
    return path


def test_the_sample_opens_on_the_products_first_screen(browser, first_run: str) -> None:  # type: ignore[no-untyped-def]
    tab = _tab(browser, first_run, "zh")
    tab.goto(first_run + "/")
    expect = playwright_api.expect
    chip = tab.locator(".chips .chip")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("作者: Jianxiang He")
    expect(chip.locator("button.remove")).to_have_text("×")
    expect(tab.locator("#next-batch")).to_have_text("换一批")
    cards = tab.locator("article.card")
    expect(cards).to_have_count(10)
    assert cards.locator(".num").all_inner_texts() == [f"{n:02d}." for n in range(1, 11)]
    for card in cards.all():
        assert re.fullmatch(r"arXiv \([A-Z-]+\.[A-Z-]+\)|arXiv \([A-Z-]+\)", card.locator(".label").inner_text())
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", card.locator("time").inner_text())
        assert card.locator("h2.title").inner_text().strip() and card.locator(".abstract").inner_text().strip()
    assert "作者: Jianxiang He" in cards.first.locator(".reasons").inner_text()  # ranked for the followed author
    # The tagline once (in the header), not again above the heading.
    assert tab.get_by_text("学术情报 · 每日精选").count() == 1
    assert tab.errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop", "small-phone", "tablet", "fold"])
def test_every_page_fits_the_screen(browser, first_run: str, lang: str, size: str) -> None:  # type: ignore[no-untyped-def]
    tab = _tab(browser, first_run, lang, size)
    problems = {}
    for path in PAGES:
        shown = _visit(tab, first_run, path)
        found = tab.evaluate(LAYOUT_PROBLEMS)
        if found:
            problems[shown] = found
    assert problems == {}
    assert tab.errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", ["small-phone", "phone", "tablet", "desktop"])
def test_every_control_is_big_enough_for_a_finger(browser, first_run: str, size: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    # The period links, a chip's ×, "More", "Papers like this" and "+ Follow" were 19–22 px tall on
    # a phone, and the Chinese pages' "EN" 21 px wide.
    tab = _tab(browser, first_run, lang, size)
    problems = {}
    for path in ("/", "/?period=all", "/search?q=unlearning", "PAPER", "/library", "/briefings", "/briefings/1",
                 "/sources", "/saved", "/account"):
        shown = _visit(tab, first_run, path)
        if found := tab.evaluate(SMALL_TARGETS):
            problems[shown] = found
    assert problems == {}, "\n".join(f"{path}: {found}" for path, found in problems.items())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_control_has_a_name_a_screen_reader_can_say(browser, first_run: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    tab = _tab(browser, first_run, lang)
    problems = {}
    for path in PAGES:
        shown = _visit(tab, first_run, path)
        if found := tab.evaluate(UNNAMED_CONTROLS):
            problems[shown] = found
    assert problems == {}  # the account page's language menu had none


def test_chinese_pages_say_everything_in_chinese(browser, first_run: str) -> None:  # type: ignore[no-untyped-def]
    tab = _tab(browser, first_run, "zh")
    found = {}
    for path, status in [*((p, 200) for p in PAGES), *ERROR_PAGES.items()]:
        shown = _visit(tab, first_run, path, status)
        words = tab.evaluate(UNTRANSLATED)
        if words:
            found[shown] = words
    assert found == {}


def test_a_store_without_the_sample_asks_the_reader_to_follow_someone(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path / "empty")
    init_store(settings, sample=False).close()
    with running_server(settings) as base:
        tab = _tab(browser, base, "en")
        tab.goto(base + "/")
        assert tab.locator(".chips .chip").count() == 0
        playwright_api.expect(tab.locator("p.prompt")).to_contain_text("Your radar follows no one yet")



def test_long_names_and_followed_values_never_widen_a_small_screen(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A chip never wrapped: a long venue made the feed 639 px wide in 360, an unbroken keyword 870;
    # a radar's 200-letter name made every page 2,054 px wide, on any screen.
    from academichub.radar.subscriptions import follow

    settings = make_settings(tmp_path / "chips")
    store = init_store(settings, sample=False)
    _user, radar = store.accounts.ensure_local_user()
    venue = "Proceedings of the National Academy of Sciences of the United States of America"
    follow(store, radar.id, "venue", venue)
    follow(store, radar.id, "keyword", "electroencephalography" * 6)
    follow(store, radar.id, "keyword", "(" * 30 + "galaxy" + ")" * 30)
    store.accounts.create_radar(_user.id, "R" * 200)  # a radar's name, in the header of every page: 2,054 px wide
    store.close()
    with running_server(settings) as base:
        for lang in ("en", "zh"):
            for size in ("small-phone", "phone", "tablet"):
                tab = _tab(browser, base, lang, size)
                _visit(tab, base, "/")
                assert tab.evaluate(LAYOUT_PROBLEMS) == [], (lang, size)
                chip = tab.locator(".chip-venue > span")
                assert venue in chip.inner_text() and chip.locator("[title]").get_attribute("title") == venue
                long_word = tab.locator(".chip-keyword > span [title]").first
                assert long_word.get_attribute("title") == "electroencephalography" * 6  # cut: its tooltip says it
                assert tab.locator(".radar-switch a").get_attribute("title") == "R" * 200
                for path in ("/library", "/account", "/briefings"):
                    _visit(tab, base, path)
                    assert tab.evaluate(LAYOUT_PROBLEMS) == [], (lang, size, path)
                tab.context.close()


def test_a_long_reader_name_never_widens_the_page(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A 63-letter name (the longest allowed) on the sign-out button made every page 835 px wide in
    # 390, and the account page's heading 1,916 px wide on a desktop.
    from academichub.auth import service as auth
    from academichub.settings import AuthSettings

    settings = make_settings(tmp_path / "accounts", auth={"mode": "accounts"})
    name, password = "w" * 63, "correct horse battery staple"
    with init_store(settings, sample=False) as store:
        auth.add_user(store, name, password, AuthSettings())
    with running_server(settings) as base:
        for size, lang in (("small-phone", "en"), ("desktop", "en"), ("fold", "zh")):  # the password form too
            tab = _tab(browser, base, lang, size)
            tab.goto(base + "/login")
            tab.fill("input[name=name]", name)
            tab.fill("input[name=password]", password)
            tab.click("main form button[type=submit]")
            tab.wait_for_url(base + "/")
            for path in ("/", "/account"):
                _visit(tab, base, path)
                assert tab.evaluate(LAYOUT_PROBLEMS) == [], (size, path)
            assert tab.locator(".logout .who").get_attribute("title") == name
            tab.context.close()


def test_untrusted_text_never_widens_a_small_screen(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A 160-letter word, a long URL, a long name and a long formula each made the page scroll
    # sideways on a phone (1,356 to 1,909 pixels wide in 320).
    from datetime import date

    from academichub.ingest.pipeline import ingest
    from academichub.model import Author, Paper

    settings = make_settings(tmp_path / "long")
    store = init_store(settings, sample=False)
    name = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessenschafewaren Smith"
    ingest(store, [Paper(title="Supercalifragilistic" * 8 + " model", source="arxiv", arxiv_id="2512.77777",
                         abstract="See https://github.com/some-organisation/" + "a" * 150 + "/README.md for code. $"
                         + "+".join(f"x_{{{i}}}" for i in range(40)) + "$ and a short $x_1$.",
                         authors=[Author(name, name.lower())], categories=["cs.CL"], primary_category="cs.CL",
                         announced=date(2025, 9, 26))], source="arxiv")
    store.close()
    with running_server(settings) as base:
        for size in ("small-phone", "phone"):
            tab = _tab(browser, base, "en", size)
            for path in ("/?period=all", "/paper/arxiv:2512.77777", "/search?q=model"):
                _visit(tab, base, path)
                assert tab.locator("text=Supercalifragilistic").count() >= 1, path  # the paper is on the page
                assert tab.evaluate(LAYOUT_PROBLEMS) == [], (size, path)


QUOTE_WIDTH = """(selector) => {
  const host = document.querySelector(selector);
  const probe = document.createElement("span");
  probe.textContent = "\\u201c";
  host.appendChild(probe);
  const width = probe.getBoundingClientRect().width / parseFloat(getComputedStyle(probe).fontSize);
  probe.remove();
  return width;
}"""


def test_english_text_draws_latin_quotes_and_chinese_text_chinese_ones(browser, first_run: str) -> None:  # type: ignore[no-untyped-def]
    # The font stack listed the CJK fonts first: with Noto CJK installed (Linux, Android), English
    # pages drew "“", "—" and "…" a full em wide. A Latin quote is under half an em.
    import subprocess

    if "CJK" not in subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout:
        pytest.skip("needs a CJK font (scripts/test installs fonts-noto-cjk)")
    english, chinese = _tab(browser, first_run, "en"), _tab(browser, first_run, "zh")
    english.goto(first_run + "/")
    chinese.goto(first_run + "/")
    assert english.evaluate(QUOTE_WIDTH, "article.card .abstract") < 0.6
    assert english.evaluate(QUOTE_WIDTH, "main h1, main h2") < 0.6
    assert chinese.evaluate(QUOTE_WIDTH, "article.card .abstract") < 0.6  # the paper's own English
    assert chinese.evaluate(QUOTE_WIDTH, "header nav a") > 0.8  # the Chinese interface: Chinese punctuation
    # The briefing's standalone HTML (a download): the same, by the briefing's language.
    english.goto(first_run + "/api/v1/briefings/2?format=html")  # the English day's
    chinese.goto(first_run + "/api/v1/briefings/1?format=html")  # the Chinese week's
    assert english.evaluate(QUOTE_WIDTH, "h1") < 0.6 and chinese.evaluate(QUOTE_WIDTH, "h1") > 0.8
    english.context.close()
    chinese.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_page_passes_axe(browser, first_run: str, lang: str, size: str) -> None:  # type: ignore[no-untyped-def]
    # axe-core (Deque's accessibility rules, the engine bundled in axe-playwright-python): each
    # card's feedback form was one of ten landmarks all named "Feedback", two <nav> had no name,
    # the search page had no heading, the briefing's trend table an empty header, and its export
    # links differed from the text around them by colour alone (2.2:1).
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    tab = _tab(browser, first_run, lang, size)
    problems = {}
    for path, status in [*((p, 200) for p in PAGES), *ERROR_PAGES.items()]:
        shown = _visit(tab, first_run, path, status)
        if violations := axe.run(tab).response["violations"]:
            problems[shown] = [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in violations]
    assert problems == {}, "\n".join(f"{path}: {found}" for path, found in problems.items())


def test_a_reader_with_an_imported_library_passes_axe(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The library's table of imported files had an empty header over its Remove buttons.
    from axe_playwright_python.sync_playwright import Axe

    from academichub.library.importer import import_file

    settings = make_settings(tmp_path / "reader")
    store = init_store(settings, sample=False)
    user, _radar = store.accounts.ensure_local_user()
    import_file(store, None, user.id, Path(__file__).parent / "data" / "library" / "zotero_export.ris")
    store.close()
    axe = Axe()
    with running_server(settings) as base:
        for lang, size in (("en", "phone"), ("zh", "desktop")):
            tab = _tab(browser, base, lang, size)
            problems = {}
            for path in ("/library", "/library?source=zotero_export.ris", "/account", "/saved"):
                _visit(tab, base, path)
                if path == "/library":
                    assert tab.locator("table.sources tbody tr").count() == 1  # the imported file's row
                    # The forms' margin made the row 80 px tall around its Remove button, and the
                    # table's white box stood wider than its rows.
                    row = tab.locator("table.sources tbody tr").bounding_box()
                    button = tab.locator("table.sources tbody button").bounding_box()
                    assert row["height"] < button["height"] + 20, (row, button)
                    assert tab.evaluate("getComputedStyle(document.querySelector('table.sources')).backgroundColor") \
                        == "rgba(0, 0, 0, 0)"
                if violations := axe.run(tab).response["violations"]:
                    problems[path] = [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in violations]
            assert problems == {}, (lang, problems)
            tab.context.close()


def test_chinese_text_is_spaced_from_the_latin_words_in_it(browser, first_run: str) -> None:  # type: ignore[no-untyped-def]
    # "按arXiv 编号匹配", "共80条": Chromium sets Latin flush against ideographs unless asked to
    # space them (text-autospace), as Chinese typesetting does; English pages are left alone.
    for lang, spaced in (("zh", "normal"), ("en", "no-autospace")):
        tab = _tab(browser, first_run, lang)
        for path in ("/", "/api/v1/briefings/1?format=html"):
            tab.goto(first_run + path)
            chinese = tab.evaluate("document.documentElement.lang").startswith("zh")
            assert tab.evaluate("getComputedStyle(document.body).textAutospace") == \
                ("normal" if chinese else "no-autospace"), (lang, path)
        _visit(tab, first_run, "/")
        assert tab.evaluate("getComputedStyle(document.querySelector('main')).textAutospace") == spaced
        tab.context.close()


def test_a_wide_tables_headings_keep_their_words_on_a_phone(browser, first_run: str) -> None:  # type: ignore[no-untyped-def]
    # Squeezed into 390 px the sources table broke each Chinese heading into a column of single
    # characters (最/近/运/行, four lines) instead of scrolling inside itself.
    tab = _tab(browser, first_run, "zh", "phone")
    for path in ("/sources", "/briefings"):
        _visit(tab, first_run, path)
        lines = tab.evaluate("""[...document.querySelectorAll('thead th')].filter(th => th.textContent.trim()).map(th => {
            const range = document.createRange(); range.selectNodeContents(th);
            return [th.textContent.trim(), new Set([...range.getClientRects()].map(r => Math.round(r.top))).size]; })""")
        assert lines and all(n == 1 for _text, n in lines), (path, lines)
        assert tab.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"][0]
    tab.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_papers_links_never_break_inside_their_labels(browser, first_run: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    # On a 320-pixel phone the paper page's "CSL-JSON" broke at its hyphen onto two lines; every
    # width from a folding phone's 280 px to 480 px is tried, so a label at a line's end is met.
    # So do the feed's and the briefing's export links.
    tab = _tab(browser, first_run, lang, "fold")
    broken = []
    for path in ("PAPER", "/", "/briefings/1"):
        _visit(tab, first_run, path)
        for width in range(280, 481, 4):
            tab.set_viewport_size({"width": width, "height": 653})
            lines = tab.evaluate("""[...document.querySelectorAll('p.links a, .export-links a, p.meta a')].map(a =>
                [a.textContent.trim(), new Set([...a.getClientRects()].map(r => Math.round(r.top))).size])""")
            assert len(lines) >= 3, path
            broken += [(path, width, label) for label, n in lines if n > 1]
    assert not broken, broken
    tab.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_text_box_and_its_button_share_a_line_where_there_is_room(browser, first_run: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    # The account page's forms were inline-flex boxes that may wrap, which Chromium sizes to their
    # widest item: "New radar name" and "Add radar" stood on two lines of a 1280-pixel page.
    tab = _tab(browser, first_run, lang)
    _visit(tab, first_run, "/account")
    for action in ("/account/radars", "/account/tokens", "/account/deliveries"):
        form = tab.locator(f'form[action="{action}"]')
        box = form.locator("input:not([type=hidden])").first.bounding_box()
        button = form.locator("button").bounding_box()
        assert abs(button["y"] - box["y"]) < 10 and button["x"] > box["x"] + box["width"], (action, box, button)
    tab.context.close()


@pytest.mark.parametrize("width", [700, 768, 800, 900, 1000])
def test_a_chip_keeps_its_height_beside_the_add_form(browser, first_run: str, width: int) -> None:  # type: ignore[no-untyped-def]
    # Between about 700 and 900 px the add form wraps onto three rows, and the one-line chip beside
    # it was stretched to their height: 113 px tall at 800, a grey oval.
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 900})
    tab = context.new_page()
    tab.goto(first_run + "/")
    chip = tab.locator(".chips li.chip").first.bounding_box()
    line = tab.locator(".chips li.chip span").first.bounding_box()
    assert chip["height"] < line["height"] + 20, (chip, line)
    context.close()


def test_a_printed_page_shows_the_papers_not_the_controls(browser, first_run: str) -> None:  # type: ignore[no-untyped-def]
    # Printed (or saved as PDF) a feed or a briefing carried the navigation, the chips, 换一批 and
    # four buttons under every card, and cut each abstract after four lines.
    tab = _tab(browser, first_run, "en")
    tab.emulate_media(media="print")
    for path in ("/", "/briefings/1"):
        _visit(tab, first_run, path)
        assert not tab.locator("header nav").is_visible(), path
        assert not tab.locator("form.actions").first.is_visible() if tab.locator("form.actions").count() else True
        assert tab.locator("h1").first.is_visible() and tab.locator("article.card").first.is_visible(), path
    _visit(tab, first_run, "/")
    assert not tab.locator("#next-batch").is_visible()
    clipped = tab.locator(".abstract.clamp").evaluate_all(
        "els => els.filter(e => e.scrollHeight > e.clientHeight + 2).length")
    assert clipped == 0
    tab.context.close()

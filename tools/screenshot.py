"""Take the README's screenshot of the feed page (run by hand; needs /usr/bin/chromium).

    .venv/bin/python tools/screenshot.py docs/feed.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

from academichub.radar.subscriptions import follow  # noqa: E402
from academichub.settings import load_settings  # noqa: E402
from academichub.storage.store import Store  # noqa: E402
from academichub.worker.jobs import load_sample  # noqa: E402


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "home", schedule={"enabled": False})
        with Store.open(settings) as store:
            load_sample(store)
            _user, radar = store.accounts.ensure_local_user()
            follow(store, radar.id, "author", "Jianxiang He")
            follow(store, radar.id, "keyword", "unlearning")
            follow(store, radar.id, "category", "cs.CL")
        with running_server(settings) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 1100}, device_scale_factor=1)
            page.goto(base + "/")
            page.screenshot(path=out)
            browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/feed.png")

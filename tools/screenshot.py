"""Take the README's screenshots of the first screen, as a fresh install opens it (run by hand; needs /usr/bin/chromium).

    .venv/bin/python tools/screenshot.py docs

writes docs/feed.png (Chinese, 1280 px wide) and docs/feed-phone.png (Chinese, 390 px wide).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

from academichub.cli.app import init_store  # noqa: E402
from academichub.settings import load_settings  # noqa: E402

SHOTS = {"feed.png": (1280, 1000), "feed-phone.png": (390, 844)}


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "home", schedule={"enabled": False})
        init_store(settings).close()  # the sample and the demo radar, as `scripts/run` makes them
        with running_server(settings) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for name, (width, height) in SHOTS.items():
                page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1,
                                        locale="zh-CN")
                page.goto(base + "/")
                page.screenshot(path=str(out / name))
                print(f"wrote {out / name}")
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))

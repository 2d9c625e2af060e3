"""Add translations to the zh catalogue (run by hand): extracts strings, merges, fills from a table.

    .venv/bin/python tools/translate.py            # reports strings still missing a translation
Add pairs to NEW below, run again; tests/test_i18n.py fails while any string is untranslated.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "src/academichub/locale/zh/LC_MESSAGES/messages.po"
METHODS = [("**/web/templates/**.html", "jinja2"), ("**.py", "python")]
NEW: dict[str, str] = {
    "Every harvested stream, its last run and whether anything is missing.": "每个采集流的最近一次运行，以及是否有遗漏。",
    "Failing": "出错", "Fetched": "获取", "Journal feed presets": "期刊订阅源预设", "Last run": "最近运行",
    "Last success": "最近成功", "Merged": "合并", "New": "新增", "Next check": "下次检查",
    "No source is configured or has run yet.": "尚未配置或运行任何数据源。", "Not run yet": "尚未运行",
    "OK": "正常", "Quiet": "异常安静", "Rejected": "拒收", "Sources": "数据源", "Status": "状态",
    "Stream": "采集流", "manual": "手动", "{n} in a row": "连续 {n} 次", "Updated": "更新",
}


def main() -> None:
    with PO.open("rb") as handle:
        old = read_po(handle)
    catalog = Catalog(locale="zh", project="AcademicHub", version="0.1.0", fuzzy=False)
    catalog.header_comment = old.header_comment
    missing = []
    for _file, _line, message, _c, _ctx in extract_from_dir(ROOT / "src/academichub", METHODS):
        message = message if isinstance(message, str) else message[0]
        if message in catalog:
            continue
        translation = NEW.get(message) or (old.get(message).string if old.get(message) else "")
        if not translation:
            missing.append(message)
        catalog.add(message, translation)
    with PO.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, width=100)
    print(f"{len(catalog)} strings; missing: {missing or 'none'}")


if __name__ == "__main__":
    main()

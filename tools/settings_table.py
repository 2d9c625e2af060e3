"""Regenerate the README's settings table from the settings model (run by hand after changes).

    .venv/bin/python tools/settings_table.py          # rewrites README.md between the markers
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from academichub.settings import ENV_PREFIX, Settings

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"
SPECIAL_DEFAULTS = {"home": "per-user data dir", "database_url": "SQLite file in the data directory",
                    "secret_key": "generated"}


def _default(name: str, field) -> str:  # type: ignore[no-untyped-def]
    if name in SPECIAL_DEFAULTS:
        return SPECIAL_DEFAULTS[name]
    value = field.get_default(call_default_factory=True)
    if value is None or value == "" or value == []:
        return "empty"
    return f"`{json.dumps(value, default=str)}`" if isinstance(value, (list, bool)) else f"`{value}`"


def rows(model: type[BaseModel] = Settings, prefix: str = ENV_PREFIX, path: str = "") -> list[str]:
    lines = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            lines += rows(annotation, f"{prefix}{name.upper()}__", f"{path}{name}.")
        else:
            lines.append(f"| `{prefix}{name.upper()}` | `{path}{name}` | {_default(name, field)} | "
                         f"{field.description or ''} |")
    return lines


def main() -> None:
    table = "\n".join(["| environment variable | file key | default | meaning |", "|---|---|---|---|", *rows(),
                       "| `ACADEMICHUB_SETTINGS_FILE` | — | `<home>/settings.toml` | Read settings from another file. |"])
    text = README.read_text()
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    README.write_text(f"{before}{START}\n{table}\n{END}{after}")
    print(f"{len(table.splitlines()) - 2} settings written to {README.name}")


if __name__ == "__main__":
    main()

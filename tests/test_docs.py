"""The README documents every command, option and setting, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from academichub.cli.main import app
from academichub.settings import iter_setting_names

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_setup_commands() -> None:
    head = README.split("\n## ", 2)[1]
    commands = re.findall(r"^(\./scripts/\w+)", head, re.MULTILINE)
    assert commands == ["./scripts/run", "./scripts/test"]
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()
    for script in ("run", "test", "setup.sh"):
        assert (ROOT / "scripts" / script).stat().st_mode & 0o111


def test_every_command_and_option_is_documented() -> None:
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"academichub {name}" in README, f"README lacks the command {name}"
        for param in command.params:
            for option in getattr(param, "opts", []) + getattr(param, "secondary_opts", []):
                if option.startswith("--") and option != "--help":
                    assert option in README, f"README lacks {name} {option}"
    assert "--home" in README


def test_every_setting_is_documented() -> None:
    names = iter_setting_names()
    assert "ACADEMICHUB_FEED__BATCH_SIZE" in names and len(names) > 20
    missing = [n for n in names if f"`{n}`" not in README]
    assert missing == []
    assert "`ACADEMICHUB_SETTINGS_FILE`" in README


def test_readme_screenshot_exists() -> None:
    assert "(docs/feed.png)" in README and (ROOT / "docs" / "feed.png").stat().st_size > 10_000


def test_settings_table_is_generated_from_the_model() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "tools" / "settings_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    section = README.split("<!-- settings:start -->")[1].split("<!-- settings:end -->")[0]
    assert all(row in section for row in module.rows()), "run tools/settings_table.py"

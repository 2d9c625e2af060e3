"""The layout's promises that code review alone would let slip."""

from __future__ import annotations

import ast
from pathlib import Path

import academichub

BUILT_BY_THE_ROOT = {"FeedService", "BriefingService", "DeliveryService", "BackgroundTrainer", "InlineTrainer"}


def test_services_are_built_only_by_the_composition_root() -> None:
    # Web, CLI, scheduler and jobs take their services from academichub.compose.build; a second
    # place that builds one configures it its own way (the issue that asked for one root found ten).
    package = Path(academichub.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "compose.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in BUILT_BY_THE_ROOT:
                    offenders.append(f"{path.relative_to(package)}:{node.lineno} builds {name}")
    assert offenders == []

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


SERVICES = {"search", "ranking", "radar", "library", "embedding", "briefing", "delivery", "export", "auth",
            "evaluation", "health", "worker", "web", "cli"}
NEVER_IMPORTS = {  # sources → ingest → storage → services → web/cli/worker: nothing imports a layer above it
    "sources": {"ingest", "storage"} | SERVICES,
    "storage": {"ingest", "sources"} | SERVICES,
    "model": {"sources", "ingest", "storage"} | SERVICES,
    "web": {"storage"},  # they take the store and the services from the composition root
    "cli": {"storage"},
}


def _imported_packages(path: Path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
        found |= {(name.split(".")[1], node.lineno) for name in names
                  if name.startswith("academichub.") and len(name.split(".")) > 1}
    return found


def test_no_package_imports_a_layer_above_it() -> None:
    package = Path(academichub.__file__).parent
    offenders = []
    for layer, forbidden in NEVER_IMPORTS.items():
        for path in (package / layer).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            offenders += [f"{path.relative_to(package)}:{line} imports {imported}"
                          for imported, line in _imported_packages(path) if imported in forbidden]
    assert sorted(offenders) == []


# Store repositories web and CLI reach only through their services (auth.accounts, delivery.deliveries,
# the briefing service, library.importer, radar.feedback, search.papers, the embedding job, health's
# run history, the composition root's scheduler), where ownership and input are checked.
REACHED_THROUGH_SERVICES = {"accounts", "auth", "deliveries", "briefings", "library", "feedback", "works", "vectors",
                            "sources", "features", "feed_state", "reader_models"}


def test_web_and_cli_reach_accounts_deliveries_briefings_and_libraries_through_services() -> None:
    # A handler that calls `store.deliveries.…` itself can skip the check its service makes (a
    # webhook into the network, another reader's radar or token).
    package = Path(academichub.__file__).parent
    offenders = []
    for layer in ("web", "cli"):
        for path in (package / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Attribute) and node.attr in REACHED_THROUGH_SERVICES
                        and isinstance(node.value, (ast.Name, ast.Attribute))
                        and getattr(node.value, "id", getattr(node.value, "attr", "")) == "store"):
                    offenders.append(f"{path.relative_to(package)}:{node.lineno} uses store.{node.attr}")
    assert offenders == []

"""Shared by the benchmarks: write a run's figures (with the machine they were measured on) as JSON."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def save(name: str, figures: dict) -> Path:
    """Write bench/results/<name>.json and say where."""
    figures = {**figures, "machine": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2))
    print(f"figures in {path}")
    return path

#!/usr/bin/env bash
# Shared by scripts/run and scripts/test: a virtualenv in .venv with AcademicHub installed.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  echo "academichub: Python 3.11 or newer is required" >&2; exit 1
}

if [ ! -x .venv/bin/python ]; then
  "$(pick_python)" -m venv .venv
fi
mode="${1:-run}"
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
# A test install also serves `run`; either is redone only when pyproject.toml changes.
if grep -qx -- "$hash" ".venv/.installed-test" 2>/dev/null ||
   { [ "$mode" = run ] && grep -qx -- "$hash" ".venv/.installed-run" 2>/dev/null; }; then
  exit 0
fi
echo "Installing AcademicHub and its dependencies into .venv …" >&2
.venv/bin/python -m pip install --quiet --upgrade pip >&2
if [ "$mode" = test ]; then
  .venv/bin/python -m pip install --quiet -e '.[test]' >&2
else
  .venv/bin/python -m pip install --quiet -e . >&2
fi
echo "$hash" > ".venv/.installed-$mode"

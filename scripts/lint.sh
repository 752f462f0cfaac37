#!/usr/bin/env bash
# Lint, format, types, layers and import cycles (configured in pyproject.toml); scripts/test.sh runs this before
# the tests. Needs the dev requirements (bash scripts/setup.sh requirements-dev.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .                                # lint (pycodestyle, pyflakes, bugbear, pyupgrade, ...)
.venv/bin/ruff format --check .                       # format (line length 120)
.venv/bin/mypy                                        # types: core/ and studio/
.venv/bin/lint-imports                                # layers: app -> studio -> editors -> segmenters -> faces -> core
.venv/bin/python scripts/check_import_cycles.py       # no module imports itself back, even through a package

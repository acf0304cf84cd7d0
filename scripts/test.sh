#!/usr/bin/env bash
# Sets everything up (system libraries, .venv, the package) and runs every check and test:
# ruff, the import-layering contract, mypy on the Qt-free packages, then the whole pytest suite
# offscreen. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check avala_desktop tests benchmarks scripts
echo "== import layering (lint-imports)"
.venv/bin/lint-imports --no-cache
echo "== mypy (core, inference, jobs, cli)"
.venv/bin/mypy avala_desktop/core avala_desktop/inference avala_desktop/jobs avala_desktop/cli
echo "== pytest"
.venv/bin/python -m pytest -p no:cacheprovider "$@"

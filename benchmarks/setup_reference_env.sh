#!/usr/bin/env bash
# Creates benchmarks/.venv-ref: a Python environment with labelme (PyQt5) used only to time the
# reference canvas side by side with ours. Never used by tests or CI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-ref"
python="${PYTHON:-python3}"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet labelme PyQt5
# Fail here, not in the middle of a benchmark, when the reference canvas cannot be imported.
QT_QPA_PLATFORM=offscreen "$venv/bin/python" -c \
    "from PyQt5 import QtWidgets; app = QtWidgets.QApplication([]); from labelme.widgets import Canvas; print('labelme canvas importable')"
echo "reference environment ready: $venv"

#!/usr/bin/env bash
# Creates .venv and installs avala-desktop with its dev extras, after making sure the system
# libraries the wheels load at run time are there (open3d: libusb; Qt: EGL, fontconfig,
# xkbcommon, xcb; screenshots: Xvfb). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

need_pkgs=()
for p in libusb-1.0-0 libegl1 libgl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 \
         libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
         libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libgomp1 xvfb xauth; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing system libraries: ${need_pkgs[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
# The stamp skips a reinstall when pyproject.toml has not changed since the last one.
stamp=.venv/.avala-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing avala-desktop and its dependencies into .venv"
  # This machine's pip config names local mirrors that may be absent; their warnings are noise.
  .venv/bin/python -m pip install -q -e ".[dev]" 2> >(grep -v "is ignored: it is neither" >&2)
  touch "$stamp"
fi

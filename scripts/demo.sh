#!/usr/bin/env bash
# Sets everything up, then runs the main job on the embedded default: a demo project
# (images, a point cloud, a short video) auto-labelled by the bundled reference model server
# over loopback, then opened for review. Without a display it prints the run summary instead.
# Extra arguments go to `avala-desktop demo` (e.g. --headless, --dir PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/avala-desktop demo "$@"

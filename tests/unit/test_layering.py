"""The core, inference, jobs and cli never import PySide6: every module of theirs imports in
a fresh interpreter where any attempt to import PySide6 (or shiboken6) fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGES = (
    "avala_desktop.core",
    "avala_desktop.inference",
    "avala_desktop.jobs",
    "avala_desktop.cli",
)

PROBE = textwrap.dedent(
    """
    import importlib, importlib.util, json, pkgutil, sys, traceback

    class BlockQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6"):
                raise ImportError(f"PySide6 is blocked here, yet {name} was imported")
            return None

    sys.meta_path.insert(0, BlockQt())
    imported, failed = [], {}
    for package in sys.argv[1:]:
        if importlib.util.find_spec(package) is None:
            continue  # a wing that does not exist yet
        names = [package]
        pkg = importlib.import_module(package)
        names += [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")]
        for name in names:
            if name.endswith(".__main__"):
                continue  # importing it would run it
            try:
                importlib.import_module(name)
                imported.append(name)
            except Exception:
                failed[name] = traceback.format_exc(limit=4)
    print(json.dumps({"imported": imported, "failed": failed,
                      "qt_loaded": sorted(m for m in sys.modules if m.startswith("PySide6"))}))
    """
)


def test_core_inference_jobs_cli_import_without_pyside6() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *PACKAGES],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["failed"] == {}, "\n\n".join(
        f"{name}:\n{tb}" for name, tb in result["failed"].items()
    )
    assert result["qt_loaded"] == []
    # the probe really walked the packages (store, review and the CLI at least)
    for name in ("avala_desktop.core.store.project_store", "avala_desktop.core.review.commands",
                 "avala_desktop.core.discovery", "avala_desktop.cli.project_cmds"):
        assert name in result["imported"]


def test_probe_catches_a_module_that_imports_pyside6(tmp_path: Path) -> None:
    pkg = tmp_path / "qt_leaky"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "clean.py").write_text("import json\n")
    (pkg / "leaky.py").write_text("from PySide6 import QtCore\n")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "qt_leaky"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert list(result["failed"]) == ["qt_leaky.leaky"]
    assert "PySide6 is blocked" in result["failed"]["qt_leaky.leaky"]
    assert "qt_leaky.clean" in result["imported"]

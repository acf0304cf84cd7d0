"""A process SIGKILLed in the middle of a burst of writes loses nothing it reported committed
and leaves nothing half-written. Uses a real child process, killed at different moments."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from avala_desktop.core.store import AssetSpec, ProjectStore, ReviewState

BATCH = 7  # suggestions per replace_pending_suggestions call in the child

CHILD = r"""
import sys
from avala_desktop.core.store import ProjectStore, RunAssetResult

store = ProjectStore.open(sys.argv[1])
assets = [a.id for a in store.assets()]
run = store.create_run("prov", "Prov")
print("run", run.id, flush=True)
points = [[float(i), float(i * 2 % 97)] for i in range(200)]  # big rows span several pages
i = 0
while True:
    asset = assets[i % len(assets)]
    ann = store.insert_annotation(asset, "polygon", "car", {"points": points, "seq": i},
                                  confidence=0.5)
    print("ann", ann.id, i, flush=True)
    store.update_annotation(ann.id, state="accepted", geometry={"points": points, "seq": -i})
    print("upd", ann.id, flush=True)
    batch = [{"type": "polygon", "label": "car", "confidence": 0.9,
              "points": points, "seq": i * 100 + k} for k in range(BATCH_SIZE)]
    store.replace_pending_suggestions(asset, "prov", run.id, batch, RunAssetResult())
    print("batch", asset, i, flush=True)
    i += 1
""".replace("BATCH_SIZE", str(BATCH))


def _run_and_kill(project: Path, after_lines: int, extra_delay: float) -> list[list[str]]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    lines: list[list[str]] = []
    try:
        while len(lines) < after_lines:
            line = child.stdout.readline()
            if not line:
                pytest.fail(f"child ended early: {child.stderr.read() if child.stderr else ''}")
            lines.append(line.split())
        time.sleep(extra_delay)
        os.kill(child.pid, signal.SIGKILL)
        # Everything printed before the kill was committed; read it all.
        lines.extend(line.split() for line in child.stdout.read().splitlines() if line)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return lines


@pytest.mark.parametrize(
    ("after_lines", "extra_delay"),
    [(2, 0.0), (15, 0.002), (60, 0.013), (150, 0.031)],
)
def test_sigkill_mid_burst_loses_nothing_committed(
    tmp_path: Path, after_lines: int, extra_delay: float
) -> None:
    project = tmp_path / "proj"
    with ProjectStore.create(project, labels=["car"]) as store:
        store.add_assets([AssetSpec(f"a{i}.png", "image", 64, 64) for i in range(5)])

    lines = _run_and_kill(project, after_lines, extra_delay)
    inserted = {parts[1]: int(parts[2]) for parts in lines if parts[0] == "ann"}
    updated = {parts[1] for parts in lines if parts[0] == "upd"}
    batches = [(parts[1], int(parts[2])) for parts in lines if parts[0] == "batch"]
    assert inserted, "the child committed nothing before it was killed"

    # The raw file first: the database is intact and every stored JSON document parses.
    con = sqlite3.connect(project / ".avala" / "project.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        for (geometry,) in con.execute("SELECT geometry FROM annotations"):
            doc = json.loads(geometry)
            assert len(doc["points"]) == 200
    finally:
        con.close()

    with ProjectStore.open(project) as store:
        for ann_id, seq in inserted.items():
            record = store.get_annotation(ann_id)
            assert record is not None, f"committed annotation {ann_id} is missing"
            if ann_id in updated:
                assert record.geometry["seq"] == -seq and record.revision == 2
            else:  # killed between the insert and the update: either state is whole
                assert record.geometry["seq"] in (seq, -seq)
            assert record.state is ReviewState.ACCEPTED
        # Each suggestion batch is all or nothing, and comes with its run_assets row.
        run_id = next(parts[1] for parts in lines if parts[0] == "run")
        processed = store.processed_asset_ids(run_id)
        for asset in store.assets():
            pending = store.annotations(asset.id, states=["pending"])
            assert len(pending) in (0, BATCH)
            assert (len(pending) == BATCH) == (asset.id in processed)
            if pending:
                seqs = sorted(p.geometry["seq"] for p in pending)
                base = seqs[0] - seqs[0] % 100
                assert seqs == [base + k for k in range(BATCH)]  # from one single batch
        for asset_id, i in batches:
            pending = store.annotations(asset_id, states=["pending"])
            assert len(pending) == BATCH
            # the last reported batch for that asset, or a later one that also committed
            assert min(p.geometry["seq"] for p in pending) >= i * 100


WRITER = r"""
import sys
from avala_desktop.core.store import ProjectStore

store = ProjectStore.open(sys.argv[1])
asset = store.assets()[0].id
for i in range(60):
    ann = store.insert_annotation(asset, "classification", "car", {"writer": sys.argv[2]})
    store.set_state(ann.id, "rejected")  # a read-modify-write: needs the write lock up front
    store.annotations(asset, include_rejected=True)
print("done", flush=True)
"""


def test_two_processes_write_at_once_without_lock_errors(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    with ProjectStore.create(project) as store:
        store.add_assets([AssetSpec("a.png", "image", 8, 8)])
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(project), name],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("gui", "cli")
    ]
    outputs = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert out.strip() == "done"
    with ProjectStore.open(project) as store:
        anns = store.annotations(store.assets()[0].id, include_rejected=True)
    assert len(anns) == 120
    assert {a.geometry["writer"] for a in anns} == {"gui", "cli"}
    assert all(a.state is ReviewState.REJECTED and a.revision == 2 for a in anns)

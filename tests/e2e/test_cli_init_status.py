"""`avala-desktop init`, `status` and `submit` as a user runs them: real processes on a folder
of real files (images, a PCD, a KITTI .bin, a short mp4, a broken file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from avala_desktop.core.store import ProjectStore
from tests.unit.discovery_samples import (
    write_image,
    write_kitti_bin,
    write_pcd_binary,
    write_video,
)

pytestmark = pytest.mark.e2e


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "avala_desktop.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "shoot"
    write_image(root / "cam" / "front.jpg", 640, 360)
    write_image(root / "cam" / "rear.png", 320, 240)
    write_pcd_binary(root / "lidar" / "sweep.pcd", 1500)
    write_kitti_bin(root / "lidar" / "000042.bin", 4096)
    write_video(root / "drive.mp4", 30, 96, 64)
    (root / "cam" / "corrupt.jpg").write_bytes(b"\xff\xd8 this jpeg stops here")
    return root


def test_init_lists_every_asset_and_status_agrees(folder: Path) -> None:
    done = cli("init", folder, "--labels", "car,pedestrian,cyclist", "--frame-step", "10")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Created project" in out
    for expected in (
        "image        cam/front.jpg",
        "640x360",
        "image        cam/rear.png",
        "320x240",
        "point_cloud  lidar/sweep.pcd",
        "1,500 points",
        "point_cloud  lidar/000042.bin",
        "4,096 points",
        "video_frame  drive.mp4 [frames 0, 10, 20]",
        "96x64, 3 frames",
        "! cam/corrupt.jpg:",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"
    assert "car (#" in out and "cyclist (#" in out

    status = cli("status", folder, "--json")
    assert status.returncode == 0, status.stderr
    summary = json.loads(status.stdout)
    assert summary["assets"]["by_type"] == {"image": 2, "point_cloud": 2, "video_frame": 3}
    assert summary["assets"]["total"] == 7
    assert summary["assets"]["by_status"]["unlabeled"] == 7
    assert summary["annotations"]["total"] == 0
    assert [label["name"] for label in summary["labels"]] == ["car", "pedestrian", "cyclist"]
    assert len({label["color"] for label in summary["labels"]}) == 3

    text = cli("status", folder)
    assert text.returncode == 0
    assert "Assets: 7  (image 2, point_cloud 2, video_frame 3)" in text.stdout

    with ProjectStore.open(folder) as store:
        sizes = {(a.path, a.frame_index): (a.type, a.width, a.height) for a in store.assets()}
    assert sizes == {
        ("cam/front.jpg", None): ("image", 640, 360),
        ("cam/rear.png", None): ("image", 320, 240),
        ("lidar/sweep.pcd", None): ("point_cloud", None, None),
        ("lidar/000042.bin", None): ("point_cloud", None, None),
        ("drive.mp4", 0): ("video_frame", 96, 64),
        ("drive.mp4", 10): ("video_frame", 96, 64),
        ("drive.mp4", 20): ("video_frame", 96, 64),
    }


def test_init_json_and_rerun_adds_only_new(folder: Path, tmp_path: Path) -> None:
    first = cli("init", folder, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["created"] is True and report["added"] == 7
    assert [p["path"] for p in report["problems"]] == ["cam/corrupt.jpg"]
    assert {(f["path"], f["type"], f["width"], f["height"], f["points"])
            for f in report["found"] if f["type"] != "video_frame"} == {
        ("cam/front.jpg", "image", 640, 360, None),
        ("cam/rear.png", "image", 320, 240, None),
        ("lidar/sweep.pcd", "point_cloud", None, None, 1500),
        ("lidar/000042.bin", "point_cloud", None, None, 4096),
    }

    write_image(folder / "cam" / "late.jpg", 100, 50)
    again = cli("init", folder, "--labels", "truck")
    assert again.returncode == 0, again.stderr
    assert "+ image        cam/late.jpg" in again.stdout
    assert "= image        cam/front.jpg" in again.stdout
    assert "added 1, 7 already in the project" in again.stdout
    summary = json.loads(cli("status", folder, "--json").stdout)
    assert summary["assets"]["total"] == 8
    assert [label["name"] for label in summary["labels"]] == ["truck"]


def test_assets_outside_the_project_are_stored_absolute(folder: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    done = cli("init", project, "--assets", folder, "--frame-step", "15", "--name", "Drive 7")
    assert done.returncode == 0, done.stderr
    with ProjectStore.open(project) as store:
        assert store.project().name == "Drive 7"
        paths = sorted({a.path for a in store.assets()})
        frames = [a.frame_index for a in store.assets(types=["video_frame"])]
        assert all(Path(p).is_absolute() for p in paths)
        assert store.asset_abspath(store.assets(types=["image"])[0]).is_file()
    assert frames == [0, 15]


def test_submit_gate_from_the_command_line(folder: Path) -> None:
    assert cli("init", folder).returncode == 0
    with ProjectStore.open(folder) as store:
        asset = store.assets(types=["image"])[0]
        ann = store.insert_annotation(asset.id, "classification", "car", {}, origin="model")
    refused = cli("submit", folder, asset.id)
    assert refused.returncode == 1
    assert "1 pending suggestion" in refused.stderr
    with ProjectStore.open(folder) as store:
        store.set_state(ann.id, "accepted")
    accepted = cli("submit", folder, asset.id)
    assert accepted.returncode == 0, accepted.stderr
    summary = json.loads(cli("status", folder, "--json").stdout)
    assert summary["assets"]["by_status"]["submitted"] == 1
    assert cli("submit", folder, "ast_nothing").returncode == 2


def test_errors_are_sentences_with_a_next_step(tmp_path: Path) -> None:
    missing = cli("status", tmp_path)
    assert missing.returncode == 2
    assert "avala-desktop init" in missing.stderr and "Traceback" not in missing.stderr
    no_assets = cli("init", tmp_path / "p", "--assets", tmp_path / "nope")
    assert no_assets.returncode == 2 and "does not exist" in no_assets.stderr
    bad_step = cli("init", tmp_path / "p", "--frame-step", "0")
    assert bad_step.returncode == 2 and "at least 1" in bad_step.stderr
    assert not (tmp_path / "p" / ".avala").exists()

"""`avala-desktop export` and `import` as a user runs them: real processes on real projects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avala_desktop.core.store import ProjectStore
from tests.e2e.test_cli_init_status import cli
from tests.unit.formats_compare import annotations_by_asset
from tests.unit.formats_samples import new_project, populate

pytestmark = pytest.mark.e2e


@pytest.fixture
def project(tmp_path: Path) -> Path:
    with new_project(tmp_path / "src") as store:
        populate(store)
    return tmp_path / "src"


def test_export_then_import_as_suggestions(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "coco"
    done = cli("export", project, "--format", "coco", "--out", out, "--include-pending")
    assert done.returncode == 0, done.stderr
    assert "Exported 8 annotations of 3 assets as coco" in done.stdout
    assert "not written: annotations on point clouds 3" in done.stdout
    assert "exporting [0/4] cam/front.jpg" in done.stderr
    assert (out / "annotations.json").is_file()

    with new_project(tmp_path / "fresh") as fresh_store:
        pass
    done = cli("import", tmp_path / "fresh", "--format", "coco", out / "annotations.json",
               "--as-suggestions", "--provider-name", "batch", "--threshold", "0.6", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    # 8 written: the human box, the frame's box and 6 scored ones; 0.55 falls below 0.6.
    assert summary["imported"] == 7 and summary["below_threshold"] == 1
    assert summary["provider_id"] == "import:batch" and summary["threshold"] == 0.6
    with ProjectStore.open(tmp_path / "fresh") as fresh_store:
        states = {r.state.value
                  for a in fresh_store.assets() for r in fresh_store.annotations(a.id)}
        assert states == {"pending"}
        status = fresh_store.status_summary()
    assert status["annotations"]["by_origin"] == {"model": 7, "human": 0}


def test_text_summary_of_an_import(project: Path, tmp_path: Path) -> None:
    assert cli("export", project, "--format", "kitti", "--out", tmp_path / "k").returncode == 0
    with new_project(tmp_path / "fresh", labels=("car",)):
        pass
    done = cli("import", tmp_path / "fresh", "--format", "kitti", tmp_path / "k")
    assert done.returncode == 0, done.stderr
    assert "Imported 2 annotations into 1 assets as accepted annotations" in done.stdout
    assert "labels added to the project: pedestrian" in done.stdout


def test_bad_input_exits_2_naming_file_record_reason(project: Path, tmp_path: Path) -> None:
    with ProjectStore.open(project) as store:
        before = annotations_by_asset(store)
    bad = tmp_path / "bad"
    (bad / "labels").mkdir(parents=True)
    (bad / "data.yaml").write_text("names: [car]\n")
    (bad / "labels" / "front.txt").write_text("0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2\n")
    done = cli("import", project, "--format", "yolo", bad)
    assert done.returncode == 2
    assert "nothing was imported" in done.stderr
    assert "labels/front.txt: line 2: 4 values" in done.stderr
    with ProjectStore.open(project) as store:
        assert annotations_by_asset(store) == before

    done = cli("import", project, "--format", "yolo", tmp_path / "nowhere")
    assert done.returncode == 2 and "does not exist" in done.stderr
    done = cli("import", project, "--format", "coco", bad, "--provider-name", "x")
    assert done.returncode == 2 and "add --as-suggestions" in done.stderr
    done = cli("export", tmp_path / "not-a-project", "--format", "voc", "--out", tmp_path / "o")
    assert done.returncode == 2 and "is not an avala-desktop project" in done.stderr
    done = cli("import", project, "--format", "coco", bad, "--threshold", "2")
    assert done.returncode == 2 and "must be from 0 to 1" in done.stderr

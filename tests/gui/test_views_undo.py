"""The QUndoStack adapter: a pushed command runs exactly once, drags merge, failures are
reported and never recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avala_desktop.core.review import (
    AcceptAllCommand,
    AcceptCommand,
    Command,
    CreateAnnotationCommand,
    EditGeometryCommand,
    RejectCommand,
    ReopenCommand,
    SubmitCommand,
)
from avala_desktop.core.store import ProjectStore, ReviewState
from avala_desktop.views.undo import QtCommand, ReviewUndoStack
from tests.gui.test_main_window_support import box, make_project


class Counting(Command):
    """A command that only counts how often it runs."""

    def __init__(self) -> None:
        self.done = 0
        self.undone = 0
        self.text = "count"

    def do(self) -> None:
        self.done += 1

    def undo(self) -> None:
        self.undone += 1


def test_push_runs_the_command_once_and_undo_redo_alternate(qtbot: Any) -> None:
    stack = ReviewUndoStack()
    command = Counting()
    assert stack.push(command)
    assert (command.done, command.undone) == (1, 0)
    assert stack.undoText() == "count"
    stack.undo()
    stack.redo()
    assert (command.done, command.undone) == (2, 1)
    wrapped = QtCommand(Counting())
    assert stack.push(wrapped)  # a QtCommand goes on as it is
    assert wrapped.core.done == 1  # type: ignore[attr-defined]


def test_a_drag_merges_into_one_step(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    box_id = project.ids["box"]
    with ProjectStore.open(project.root) as store:
        original = store.get_annotation(box_id)
        stack = ReviewUndoStack()
        for width in (110, 120, 130):
            assert stack.push(EditGeometryCommand(store, box_id, box(40, 40, width, 80),
                                                  merge_key=(box_id, 7)))
        assert stack.count() == 1
        assert store.get_annotation(box_id).geometry == box(40, 40, 130, 80)  # type: ignore[union-attr]
        stack.push(EditGeometryCommand(store, box_id, box(40, 40, 140, 80),
                                       merge_key=(box_id, 8)))  # another drag
        assert stack.count() == 2
        stack.undo()
        stack.undo()
        restored = store.get_annotation(box_id)
        assert restored is not None and original is not None
        assert (restored.geometry, restored.state) == (original.geometry, original.state)


def test_a_failing_command_is_reported_and_not_recorded(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    with ProjectStore.open(project.root) as store:
        stack = ReviewUndoStack()
        failures: list[str] = []
        stack.failed.connect(failures.append)
        asset = store.asset(project.first)
        assert asset is not None
        assert not stack.push(SubmitCommand(store, project.first, asset.display_name))
        assert stack.count() == 0
        assert "6 pending suggestions" in failures[-1]

        accept = AcceptCommand(store, project.ids["box"])
        assert stack.push(accept)
        store.delete_annotation(project.ids["box"])  # replaced by a new run meanwhile
        assert stack.undo() is None
        assert "no longer in the project" in failures[-1]
        assert stack.count() == 0  # the broken step is gone, not left to fail again


def test_submit_command_undo_reopens_the_asset(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    with ProjectStore.open(project.root) as store:
        store.set_states({r.id: ReviewState.ACCEPTED for r in store.annotations(project.second)})
        stack = ReviewUndoStack()
        assert stack.push(SubmitCommand(store, project.second, "street_01.png"))
        assert store.asset(project.second).submitted_at is not None  # type: ignore[union-attr]
        stack.undo()
        assert store.asset(project.second).submitted_at is None  # type: ignore[union-attr]


def test_a_submitted_asset_is_read_only_until_reopened(qtbot: Any, tmp_path: Path) -> None:
    """The core rule under both review pages: no annotation command writes to a submitted
    asset, forwards or backwards; Reopen is a command, and undoing it submits again."""
    project = make_project(tmp_path / "p")
    with ProjectStore.open(project.root) as store:
        (only,) = store.annotations(project.second)
        stack = ReviewUndoStack()
        failures: list[str] = []
        stack.failed.connect(failures.append)
        assert stack.push(AcceptCommand(store, only.id))
        assert stack.push(SubmitCommand(store, project.second))
        assert stack.undoText() == "Submit street_01.png"
        before = store.get_annotation(only.id)
        attempts: list[Command] = [
            RejectCommand(store, only.id),
            EditGeometryCommand(store, only.id, box(0, 0, 10, 10)),
            CreateAnnotationCommand(store, project.second, "bounding_box", "car",
                                    box(5, 5, 20, 20)),
        ]
        for attempt in attempts:
            assert not stack.push(attempt)
            assert "street_01.png is submitted, so it is read-only" in failures[-1]
            assert "Reopen Asset" in failures[-1]
        assert stack.count() == 2
        assert store.get_annotation(only.id) == before
        assert len(store.annotations(project.second)) == 1

        assert stack.push(ReopenCommand(store, project.second))
        assert stack.undoText() == "Reopen street_01.png"
        assert store.asset(project.second).submitted_at is None  # type: ignore[union-attr]
        assert stack.push(RejectCommand(store, only.id))
        stack.undo()  # the delete
        stack.undo()  # the reopen: submitted again
        assert store.asset(project.second).submitted_at is not None  # type: ignore[union-attr]
        stack.redo()
        assert store.asset(project.second).submitted_at is None  # type: ignore[union-attr]


def test_an_undo_that_would_change_a_submitted_asset_is_refused(
        qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    with ProjectStore.open(project.root) as store:
        stack = ReviewUndoStack()
        failures: list[str] = []
        stack.failed.connect(failures.append)
        ids = [r.id for r in store.annotations(project.second)]
        assert stack.push(AcceptAllCommand(store, ids))
        store.submit_asset(project.second)  # submitted elsewhere (another window, the CLI)
        assert stack.undo() is None
        assert "is submitted, so it is read-only" in failures[-1]
        assert all(r.state is ReviewState.ACCEPTED for r in store.annotations(project.second))

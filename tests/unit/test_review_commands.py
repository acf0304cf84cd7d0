"""Review commands: do / undo / redo restore exact geometry and state; drags merge."""

from __future__ import annotations

import pytest

from avala_desktop.core.review import (
    AcceptAllCommand,
    AcceptCommand,
    CreateAnnotationCommand,
    EditGeometryCommand,
    RejectCommand,
    RelabelCommand,
    UndoStack,
)
from avala_desktop.core.store import (
    AnnotationRecord,
    AssetSpec,
    AssetStatus,
    NotFoundError,
    ProjectStore,
    ReviewState,
    RunAssetResult,
)
from tests.unit.store_support import got, status_of

BOX = {"coordinates": {"x": 10.5, "y": 20.25, "width": 30.0, "height": 40.0}}


def box(x: float) -> dict:
    return {"coordinates": {"x": x, "y": 20.25, "width": 30.0, "height": 40.0}}


@pytest.fixture
def asset_id(store: ProjectStore) -> str:
    return store.add_assets([AssetSpec("a.png", "image", 100, 100)])[0].id


def suggestion(store: ProjectStore, asset_id: str, geometry: dict = BOX) -> AnnotationRecord:
    return store.insert_annotation(asset_id, "bounding_box", "car", geometry, confidence=0.77,
                                   origin="model", provider_id="prov")


def fields(record: AnnotationRecord | None) -> tuple:
    assert record is not None
    return (record.label, record.geometry, record.state, record.confidence, record.origin,
            record.provider_id)


def test_accept_undo_redo(store: ProjectStore, asset_id: str) -> None:
    ann = suggestion(store, asset_id)
    stack = UndoStack()
    stack.push(AcceptCommand(store, ann.id))
    assert got(store, ann.id).state is ReviewState.ACCEPTED
    assert stack.undo_text == "Accept box"
    stack.undo()
    assert fields(got(store, ann.id)) == fields(ann)
    assert status_of(store, asset_id) is AssetStatus.PENDING_REVIEW
    stack.redo()
    assert got(store, ann.id).state is ReviewState.ACCEPTED
    revisions = got(store, ann.id).revision
    assert revisions == 4  # insert, accept, undo, redo: revisions never go back


def test_accept_keeps_edited(store: ProjectStore, asset_id: str) -> None:
    ann = suggestion(store, asset_id)
    store.update_annotation(ann.id, state="edited")
    AcceptCommand(store, ann.id).do()
    assert got(store, ann.id).state is ReviewState.EDITED


@pytest.mark.parametrize("start", ["pending", "accepted", "edited"])
def test_reject_undo_restores_state_and_geometry(
    store: ProjectStore, asset_id: str, start: str
) -> None:
    ann = store.update_annotation(suggestion(store, asset_id).id, state=start,
                                  geometry=box(3.125))
    cmd = RejectCommand(store, ann.id)
    cmd.do()
    assert got(store, ann.id).state is ReviewState.REJECTED
    assert store.annotations(asset_id) == []  # rejected ones are hidden by default
    cmd.undo()
    assert fields(got(store, ann.id)) == fields(ann)
    cmd.do()
    assert got(store, ann.id).state is ReviewState.REJECTED
    assert cmd.text == "Delete box"


def test_edit_suggestion_makes_it_edited_and_undo_restores(
    store: ProjectStore, asset_id: str
) -> None:
    ann = suggestion(store, asset_id)
    stack = UndoStack()
    stack.push(EditGeometryCommand(store, ann.id, box(50.0)))
    after = got(store, ann.id)
    assert after.state is ReviewState.EDITED and after.geometry == box(50.0)
    assert after.confidence == 0.77 and after.origin.value == "model"  # origin kept
    stack.undo()
    assert fields(got(store, ann.id)) == fields(ann)
    stack.redo()
    assert fields(got(store, ann.id)) == fields(after)


def test_edit_accepted_suggestion_becomes_edited(store: ProjectStore, asset_id: str) -> None:
    ann = store.set_state(suggestion(store, asset_id).id, "accepted")
    cmd = EditGeometryCommand(store, ann.id, box(1.0))
    cmd.do()
    assert got(store, ann.id).state is ReviewState.EDITED
    cmd.undo()
    assert got(store, ann.id).state is ReviewState.ACCEPTED


def test_edit_human_stays_accepted(store: ProjectStore, asset_id: str) -> None:
    human = store.insert_annotation(asset_id, "polygon", "car",
                                    {"points": [[0, 0], [4, 0], [4, 4]]})
    cmd = EditGeometryCommand(store, human.id, {"points": [[1, 1], [5, 1], [5, 5], [1, 5]]},
                              text="Move vertex")
    cmd.do()
    record = got(store, human.id)
    assert record.state is ReviewState.ACCEPTED and len(record.geometry["points"]) == 4
    assert cmd.text == "Move vertex"
    cmd.undo()
    assert got(store, human.id).geometry == {"points": [[0, 0], [4, 0], [4, 4]]}


def test_drag_merges_into_one_step(store: ProjectStore, asset_id: str) -> None:
    ann = suggestion(store, asset_id)
    other = suggestion(store, asset_id, box(99.0))
    stack = UndoStack()
    for x in (11.0, 12.0, 13.0, 14.0):
        stack.push(EditGeometryCommand(store, ann.id, box(x), merge_key=("drag", 1)))
    assert len(stack) == 1
    # another drag, or the same key on another annotation, is a step of its own
    stack.push(EditGeometryCommand(store, ann.id, box(20.0), merge_key=("drag", 2)))
    stack.push(EditGeometryCommand(store, other.id, box(21.0), merge_key=("drag", 2)))
    stack.push(EditGeometryCommand(store, ann.id, box(22.0)))  # no key: never merges
    stack.push(EditGeometryCommand(store, ann.id, box(23.0)))
    assert len(stack) == 5
    for _ in range(3):
        stack.undo()
    assert got(store, ann.id).geometry == box(20.0)
    assert got(store, other.id).geometry == box(99.0)
    stack.undo()
    assert got(store, ann.id).geometry == box(14.0)
    stack.undo()
    assert fields(got(store, ann.id)) == fields(ann)  # the whole drag in one undo
    assert not stack.can_undo
    stack.redo()
    assert got(store, ann.id).geometry == box(14.0)
    assert got(store, ann.id).state is ReviewState.EDITED


def test_relabel(store: ProjectStore, asset_id: str) -> None:
    ann = suggestion(store, asset_id)
    cmd = RelabelCommand(store, ann.id, "pedestrian")
    cmd.do()
    record = got(store, ann.id)
    assert (record.label, record.state) == ("pedestrian", ReviewState.EDITED)
    assert cmd.text == "Relabel box as pedestrian"
    cmd.undo()
    assert fields(got(store, ann.id)) == fields(ann)


def test_create_undo_redo_same_id(store: ProjectStore, asset_id: str) -> None:
    stack = UndoStack()
    cmd = CreateAnnotationCommand(store, asset_id, "polyline", "car",
                                  {"points": [[0.5, 0.5], [9.5, 3.0]]})
    stack.push(cmd)
    assert cmd.annotation_id is not None
    created = got(store, cmd.annotation_id)
    assert created.state is ReviewState.ACCEPTED and created.origin.value == "human"
    assert stack.undo_text == "Draw polyline"
    stack.push(EditGeometryCommand(store, created.id, {"points": [[1, 1], [2, 2], [3, 3]]}))
    stack.undo()
    stack.undo()
    assert store.get_annotation(created.id) is None
    assert status_of(store, asset_id) is AssetStatus.UNLABELED
    stack.redo()
    again = got(store, created.id)
    assert fields(again) == fields(created) and again.created_at == created.created_at
    assert again.revision > 3  # fresh revision, never a reused one
    stack.redo()
    assert got(store, created.id).geometry == {"points": [[1, 1], [2, 2], [3, 3]]}


def test_accept_all_is_one_step(store: ProjectStore, asset_id: str) -> None:
    anns = [suggestion(store, asset_id, box(float(i))) for i in range(5)]
    store.set_state(anns[0].id, "rejected")
    store.set_state(anns[1].id, "edited")
    stack = UndoStack()
    cmd = AcceptAllCommand(store, [a.id for a in anns])
    stack.push(cmd)
    states = [got(store, a.id).state for a in anns]
    assert states == [ReviewState.REJECTED, ReviewState.EDITED] + [ReviewState.ACCEPTED] * 3
    assert sorted(cmd.accepted_ids) == sorted(a.id for a in anns[2:])
    assert stack.undo_text == "Accept 5 suggestions"
    store.submit_asset(asset_id)  # nothing pending any more
    store.unsubmit_asset(asset_id)
    stack.undo()
    states = [got(store, a.id).state for a in anns]
    assert states == [ReviewState.REJECTED, ReviewState.EDITED] + [ReviewState.PENDING] * 3
    stack.redo()
    assert status_of(store, asset_id) is AssetStatus.REVIEWED


def test_new_push_drops_redo_tail(store: ProjectStore, asset_id: str) -> None:
    ann = suggestion(store, asset_id)
    stack = UndoStack()
    stack.push(AcceptCommand(store, ann.id))
    stack.undo()
    assert stack.can_redo and stack.redo_text == "Accept box"
    stack.push(RejectCommand(store, ann.id))
    assert not stack.can_redo and len(stack) == 1
    assert stack.redo() is None


def test_command_on_vanished_annotation_reports_it(store: ProjectStore, asset_id: str) -> None:
    ann = suggestion(store, asset_id)
    stack = UndoStack()
    stack.push(AcceptCommand(store, ann.id))
    stack.undo()
    # a new model run replaces the pending suggestion
    run = store.create_run("prov", "Prov")
    store.replace_pending_suggestions(asset_id, "prov", run.id, [], RunAssetResult())
    with pytest.raises(NotFoundError, match="no longer in the project"):
        stack.redo()
    assert stack.can_redo  # nothing was recorded as redone
    with pytest.raises(NotFoundError):
        RejectCommand(store, ann.id)


def test_invalid_geometry_refused_before_anything_is_written(
    store: ProjectStore, asset_id: str
) -> None:
    ann = suggestion(store, asset_id)
    with pytest.raises(ValueError):
        EditGeometryCommand(store, ann.id, {"coordinates": {"x": float("inf")}})
    assert fields(got(store, ann.id)) == fields(ann)

"""The Qt-free parts of the canvas: view model, spatial index, hit tests, edit operations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avala_desktop.canvas import ops2d
from avala_desktop.canvas.hit2d import nearest_edge, point_in_polygon
from avala_desktop.canvas.mask_raster import MaskRaster, paint_stroke
from avala_desktop.canvas.scene2d import SceneModel
from avala_desktop.canvas.shapes2d import CanvasItem, ItemType
from avala_desktop.canvas.spatial import GridIndex
from avala_desktop.canvas.viewport import ViewTransform
from avala_desktop.core.masks import rle


def box(item_id: str, x: float, y: float, w: float, h: float, *, state: str = "pending",
        confidence: float | None = None) -> CanvasItem:
    return CanvasItem.of(item_id, "bounding_box", "car",
                         {"coordinates": {"x": x, "y": y, "width": w, "height": h}},
                         confidence=confidence, state=state)


def test_item_derives_points_bbox_and_caption() -> None:
    item = box("a", 10, 20, 30, 40, confidence=0.456)
    assert item.type is ItemType.BOX
    assert item.bbox == (10, 20, 40, 60)
    assert item.points.tolist() == [[10, 20], [40, 20], [40, 60], [10, 60]]
    assert item.caption == "car 0.46"
    assert CanvasItem.of("h", "polyline", "lane", {"points": [[0, 0], [5, 5]]}).caption == "lane"


@pytest.mark.parametrize(("kind", "geometry", "message"), [
    ("polygon", {"points": [[0, 0], [1, 1]]}, "at least 3"),
    ("polyline", {"points": [[0, 0]]}, "at least 2"),
    ("polygon", {"points": [[0, 0], [1, float("nan")], [2, 2]]}, "finite"),
    ("bounding_box", {"coordinates": {"x": 1}}, "x, y, width, height"),
    ("segmentation_mask", {}, "'rle'"),
    ("bounding_box_3d", {}, "cannot show"),
])
def test_bad_geometry_fails_when_the_item_is_made(kind: str, geometry: dict[str, object],
                                                  message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CanvasItem.of("x", kind, "car", geometry)


def test_editing_a_pending_item_makes_it_edited_and_keeps_others() -> None:
    pending = box("a", 0, 0, 5, 5, state="pending")
    assert pending.with_geometry(ops2d.box_geometry(1, 1, 6, 6)).state == "edited"
    accepted = box("a", 0, 0, 5, 5, state="accepted")
    assert accepted.with_geometry(ops2d.box_geometry(1, 1, 6, 6)).state == "accepted"


bounds = st.tuples(st.floats(0, 900), st.floats(0, 900), st.floats(0, 300), st.floats(0, 300))


@settings(max_examples=40, deadline=None)
@given(st.lists(bounds, min_size=1, max_size=60), bounds)
def test_grid_index_finds_exactly_the_intersecting_boxes(
    boxes: list[tuple[float, float, float, float]], query: tuple[float, float, float, float]
) -> None:
    arr = np.array([(x, y, x + w, y + h) for x, y, w, h in boxes])
    index = GridIndex(cell_size=64)
    index.rebuild(arr, np.ones(len(arr), dtype=bool))
    qx, qy, qw, qh = query
    found = index.query(qx, qy, qx + qw, qy + qh).tolist()
    expected = [i for i, (x0, y0, x1, y1) in enumerate(arr)
                if x0 <= qx + qw and x1 >= qx and y0 <= qy + qh and y1 >= qy]
    assert found == expected


def test_grid_index_updates_and_appends_one_slot_at_a_time() -> None:
    index = GridIndex(cell_size=10)
    index.rebuild(np.array([[0, 0, 5, 5], [50, 50, 55, 55]], float), np.array([True, True]))
    index.update(0, (100, 100, 105, 105))
    assert index.query(0, 0, 6, 6).tolist() == []
    assert index.query(99, 99, 101, 101).tolist() == [0]
    assert index.append((0, 0, 1, 1)) == 2
    assert index.query(0, 0, 2, 2).tolist() == [2]
    index.update(1, None)
    assert index.query(40, 40, 60, 60).tolist() == []
    assert len(index) == 2


def test_huge_items_are_found_without_filling_every_cell() -> None:
    index = GridIndex(cell_size=10)
    index.rebuild(np.array([[0, 0, 5000, 5000]], float), np.array([True]))
    assert index.query(2500, 2500, 2501, 2501).tolist() == [0]


def test_scene_hit_prefers_smaller_then_topmost_and_respects_filters() -> None:
    scene = SceneModel()
    scene.set_items([box("big", 0, 0, 100, 100), box("small", 10, 10, 20, 20),
                     box("twin", 10, 10, 20, 20, state="pending", confidence=0.2)])
    hit = scene.hit(15, 15, 1.0)
    assert hit is not None and hit.id == "twin"  # same size: the later one is on top
    scene.set_filters(threshold=0.5)
    hit = scene.hit(15, 15, 1.0)
    assert hit is not None and hit.id == "small"
    hit = scene.hit(80, 80, 1.0)
    assert hit is not None and hit.id == "big"
    assert scene.hit(300, 300, 1.0) is None


def test_scene_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="unique"):
        SceneModel().set_items([box("a", 0, 0, 1, 1), box("a", 2, 2, 1, 1)])


def test_scene_version_tracks_only_changes_to_the_unselected_layer() -> None:
    scene = SceneModel()
    scene.set_items([box("a", 0, 0, 10, 10), box("b", 20, 20, 10, 10)])
    scene.set_selection(["a"])
    v = scene.version
    scene.put(box("a", 5, 5, 10, 10))
    assert scene.version == v
    scene.put(box("b", 25, 25, 10, 10))
    assert scene.version == v + 1
    scene.put(box("c", 50, 50, 10, 10))
    assert scene.version == v + 2
    assert [i.id for i in scene.items] == ["a", "b", "c"]
    assert scene.static_slots((0, 0, 100, 100)).tolist() == [1, 2]


def test_point_in_polygon_and_nearest_edge() -> None:
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    assert point_in_polygon(square, 5, 5)
    assert not point_in_polygon(square, 15, 5)
    edge = nearest_edge(square, 5, -2, closed=True)
    assert (edge.start, edge.distance, edge.x, edge.y) == (0, 2.0, 5.0, 0.0)
    closing = nearest_edge(square, -1, 5, closed=True)
    assert closing.start == 3
    assert nearest_edge(square, -1, 5, closed=False).start == 0  # open: no closing edge


@pytest.mark.parametrize(("handle", "to", "expected"), [
    (0, (5, 5), (5, 5, 25, 35)),  # top-left corner
    (1, (99, 0), (10, 0, 20, 40)),  # top edge: y only
    (3, (50, 99), (10, 10, 40, 30)),  # right edge: x only
    (4, (0, 0), (0, 0, 10, 10)),  # bottom-right dragged past top-left: flipped
    (7, (30, 20), (29, 10, 1, 30)),  # left edge onto the right one: one pixel stays
])
def test_resize_box_handles(handle: int, to: tuple[float, float],
                            expected: tuple[float, float, float, float]) -> None:
    geometry = ops2d.box_geometry(10, 10, 30, 40)
    c = ops2d.resize_box(geometry, handle, *to, size=(100, 100))["coordinates"]
    assert (c["x"], c["y"], c["width"], c["height"]) == expected


def test_translate_keeps_shapes_inside_the_image() -> None:
    item = box("a", 80, 10, 10, 10)
    assert ops2d.translate(item, 50, -50, (100, 100)) == ops2d.box_geometry(90, 0, 100, 10)
    line = CanvasItem.of("l", "polyline", "lane", {"points": [[10, 10], [20, 30]]})
    assert ops2d.translate(line, -0.004, 1.006, None) == {"points": [[10.0, 11.01],
                                                                    [20.0, 31.01]]}


def test_vertex_operations_respect_minimum_counts() -> None:
    tri = np.array([[0, 0], [10, 0], [5, 5]], float)
    assert ops2d.delete_vertex(tri, 0, ItemType.POLYGON) is None
    quad = ops2d.insert_vertex(tri, 0, 5, 0)
    assert quad.tolist() == [[0, 0], [5, 0], [10, 0], [5, 5]]
    assert ops2d.delete_vertex(quad, 1, ItemType.POLYGON).tolist() == tri.tolist()  # type: ignore[union-attr]
    assert ops2d.move_vertex(tri, 2, 50, -5, (20, 20)).tolist()[2] == [20, 0]


def test_mask_raster_crops_shifts_and_round_trips() -> None:
    full = np.zeros((40, 60), dtype=bool)
    full[10:20, 30:35] = True
    raster = MaskRaster.from_rle(rle.encode(full))
    assert (raster.x0, raster.y0, raster.crop.shape, raster.area) == (30, 10, (10, 5), 50)
    assert raster.contains(30.5, 10.5) and not raster.contains(29.9, 10.5)
    assert np.array_equal(rle.decode(raster.to_rle()).astype(bool), full)
    moved = raster.shifted(28, -5)  # two columns fall off the right edge
    assert (moved.x0, moved.y0, moved.crop.shape) == (58, 5, (10, 2))
    assert raster.shifted(100, 0).area == 0
    empty = MaskRaster.from_full(np.zeros((4, 4), dtype=bool))
    assert empty.area == 0 and not empty.contains(1, 1)


def test_paint_stroke_covers_pixel_centres_within_the_radius() -> None:
    full = np.zeros((50, 50), dtype=bool)
    touched = paint_stroke(full, (25, 25), (25, 25), 3, True)
    yy, xx = np.mgrid[0:50, 0:50]
    assert np.array_equal(full, (xx + 0.5 - 25) ** 2 + (yy + 0.5 - 25) ** 2 <= 9)
    assert touched == (22, 22, 29, 29)
    assert paint_stroke(full, (-50, -50), (-40, -40), 3, True) is None


def test_view_transform_zoom_keeps_anchor_and_fit_centres() -> None:
    view = ViewTransform(0.5, 10, 20)
    zoomed = view.zoomed_at(100, 80, 3.0)
    assert zoomed.to_image(100, 80) == pytest.approx(view.to_image(100, 80))
    assert zoomed.scale == 1.5
    assert view.zoomed_at(0, 0, 1e9).scale == 64.0  # clamped
    fit = ViewTransform.fit(200, 100, 400, 400)
    assert (fit.scale, fit.ox, fit.oy) == (2.0, 0.0, 100.0)
    assert fit.visible_rect(400, 400) == (0.0, -50.0, 200.0, 150.0)

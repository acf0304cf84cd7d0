"""Pascal VOC: the XML parses and says what we meant, in VOC's 1-based pixel convention,
boxes on whole pixels round-trip exactly, and bad objects are named."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from avala_desktop.core.formats import ImportInvalid, export_project, import_annotations
from tests.unit.formats_compare import annotations_by_asset
from tests.unit.formats_samples import FRONT, REAR, asset, new_project


def test_xml_content_and_one_based_convention(tmp_path: Path) -> None:
    store = new_project(tmp_path / "src")
    front = asset(store, FRONT)
    # Pixels 0..9 across, 5..24 down (0-based): VOC says xmin 1, xmax 10, ymin 6, ymax 25.
    store.insert_annotation(front.id, "bounding_box", "car",
                            {"coordinates": {"x": 0.0, "y": 5.0, "width": 10.0, "height": 20.0}},
                            confidence=0.875, origin="model", state="accepted")
    store.insert_annotation(front.id, "polygon", "car",
                            {"points": [[1.0, 1.0], [5.0, 1.0], [5.0, 5.0]]})
    summary = export_project(store, "voc", tmp_path / "out")
    root = ET.parse(tmp_path / "out" / "cam" / "front.xml").getroot()
    assert root.tag == "annotation"
    assert (root.findtext("folder"), root.findtext("filename")) == ("cam", "front.jpg")
    assert root.findtext("path") == (store.root / FRONT).as_posix()
    assert (root.findtext("size/width"), root.findtext("size/height"),
            root.findtext("size/depth")) == ("64", "48", "3")
    objects = root.findall("object")
    assert len(objects) == 1
    box = objects[0].find("bndbox")
    assert box is not None
    assert [box.findtext(k) for k in ("xmin", "ymin", "xmax", "ymax")] == ["1", "6", "10", "25"]
    assert objects[0].findtext("name") == "car"
    assert objects[0].findtext("difficult") == "0"
    assert objects[0].findtext("confidence") == "0.875"
    assert summary.skipped == {"polygon (Pascal VOC holds boxes only)": 1}

    fresh = new_project(tmp_path / "fresh")
    import_annotations(fresh, "voc", tmp_path / "out")
    # Whole pixels come back exactly, as integers turned floats.
    assert annotations_by_asset(fresh) == [
        ((FRONT, None, "bounding_box", "car"), 0.875,
         {"coordinates": {"x": 0.0, "y": 5.0, "width": 10.0, "height": 20.0}})]


def test_standard_voc_layout_imports(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    folder = tmp_path / "VOC" / "Annotations"
    folder.mkdir(parents=True)
    (folder / "rear.xml").write_text(
        "<annotation><folder>JPEGImages</folder><filename>rear.png</filename>"
        "<size><width>40</width><height>30</height><depth>3</depth></size>"
        "<object><name>dog</name><difficult>1</difficult><bndbox><xmin>1.5</xmin>"
        "<ymin>2</ymin><xmax>10</xmax><ymax>30</ymax></bndbox><score>0.25</score></object>"
        "</annotation>"
    )
    summary = import_annotations(store, "voc", tmp_path / "VOC", as_suggestions=True)
    assert summary.imported == 1 and summary.labels_added == ["dog"]
    assert summary.provider_id == "import:voc"
    assert annotations_by_asset(store) == [
        ((REAR, None, "bounding_box", "dog"), 0.25,
         {"coordinates": {"x": 0.5, "y": 1.0, "width": 9.5, "height": 29.0}})]


def test_bad_objects_are_named(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "front.xml").write_text(
        "<annotation><filename>front.jpg</filename>"
        "<object><name>car</name><bndbox><xmin>10</xmin><ymin>2</ymin><xmax>5</xmax>"
        "<ymax>9</ymax></bndbox></object>"
        "<object><name>car</name><bndbox><xmin>a</xmin><ymin>2</ymin><xmax>5</xmax>"
        "<ymax>9</ymax></bndbox></object>"
        "<object><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>5</xmax><ymax>9</ymax></bndbox>"
        "</object></annotation>"
    )
    (tmp_path / "in" / "rear.xml").write_text("<annotation><filename>rear.png</filename>"
                                              "<size><width>64</width><height>30</height>"
                                              "</size></annotation>")
    (tmp_path / "in" / "broken.xml").write_text("<annotation><object>")
    with pytest.raises(ImportInvalid) as caught:
        import_annotations(store, "voc", tmp_path / "in")
    reasons = [str(p) for p in caught.value.problems]
    assert reasons[0].startswith("broken.xml: file: not readable XML")
    assert reasons[1:] == [
        "front.xml: object 0: the box is inverted (xmin 10.0, xmax 5.0, ymin 2.0, ymax 9.0)",
        "front.xml: object 1: 'bndbox/xmin' must be a number, got 'a'",
        "front.xml: object 2: 'name' is missing",
        "rear.xml: size: 64x30 in the file, but cam/rear.png is 40x30",
    ]
    assert annotations_by_asset(store) == []

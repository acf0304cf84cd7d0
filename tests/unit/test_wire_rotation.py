"""yaw/pitch/roll on the wire means R = Rz(yaw) @ Ry(pitch) @ Rx(roll) (ZYX intrinsic)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avala_desktop.core.wire import BoundingBox3D, parse_annotation, quaternion_from_yaw_pitch_roll

angles = st.floats(min_value=-2 * math.pi, max_value=2 * math.pi, allow_nan=False)


def _rz(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _ry(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rx(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _matrix(w: float, x: float, y: float, z: float) -> np.ndarray:
    """The rotation matrix of a unit quaternion (Hamilton convention)."""
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


@settings(max_examples=300, deadline=None)
@given(yaw=angles, pitch=angles, roll=angles)
def test_quaternion_matches_the_zyx_rotation_matrix(yaw: float, pitch: float, roll: float) -> None:
    q = quaternion_from_yaw_pitch_roll(yaw, pitch, roll)
    assert math.hypot(*q) == pytest.approx(1.0, abs=1e-12)
    expected = _rz(yaw) @ _ry(pitch) @ _rx(roll)
    np.testing.assert_allclose(_matrix(*q), expected, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(yaw=angles, pitch=angles, roll=angles)
def test_the_wire_form_uses_the_same_conversion(yaw: float, pitch: float, roll: float) -> None:
    a = parse_annotation(
        {
            "type": "bounding_box_3d",
            "label": "car",
            "confidence": 0.5,
            "center": {"x": 0, "y": 0, "z": 0},
            "dimensions": {"l": 1, "w": 1, "h": 1},
            "rotation": {"yaw": yaw, "pitch": pitch, "roll": roll},
        }
    )
    assert isinstance(a, BoundingBox3D)
    r = a.geometry_dict()["rotation"]
    np.testing.assert_allclose(
        _matrix(r["w"], r["x"], r["y"], r["z"]), _rz(yaw) @ _ry(pitch) @ _rx(roll), atol=1e-9
    )


def test_the_axes_turn_the_documented_way() -> None:
    # Yaw turns the heading (x) towards y; pitch turns x towards -z; roll turns y towards z.
    x, y, z = np.eye(3)
    np.testing.assert_allclose(
        _matrix(*quaternion_from_yaw_pitch_roll(math.pi / 2, 0, 0)) @ x, y, atol=1e-12
    )
    np.testing.assert_allclose(
        _matrix(*quaternion_from_yaw_pitch_roll(0, math.pi / 2, 0)) @ x, -z, atol=1e-12
    )
    np.testing.assert_allclose(
        _matrix(*quaternion_from_yaw_pitch_roll(0, 0, math.pi / 2)) @ y, z, atol=1e-12
    )


def test_yaw_is_applied_last_in_the_world_frame() -> None:
    # Intrinsic ZYX: pitch the box nose-down, then yaw it; its heading ends up along +y, tilted.
    heading = _matrix(*quaternion_from_yaw_pitch_roll(math.pi / 2, math.pi / 4, 0)) @ np.array(
        [1, 0, 0]
    )
    np.testing.assert_allclose(heading, [0, math.sqrt(0.5), -math.sqrt(0.5)], atol=1e-12)


@pytest.mark.parametrize(
    ("q", "accepted"),
    [
        ([1.0, 0, 0, 0], True),
        ([1.0009, 0, 0, 0], True),
        ([0.9991, 0, 0, 0], True),
        ([1.002, 0, 0, 0], False),
        ([0.5, 0.5, 0.5, 0.5], True),
        ([1, 1, 1, 1], False),
    ],
)
def test_only_nearly_unit_quaternions_are_accepted(q: list[float], accepted: bool) -> None:
    obj = {
        "type": "bounding_box_3d",
        "label": "car",
        "confidence": 0.5,
        "center": {"x": 0, "y": 0, "z": 0},
        "dimensions": {"l": 1, "w": 1, "h": 1},
        "rotation": q,
    }
    if accepted:
        r = parse_annotation(obj).geometry_dict()["rotation"]
        assert math.hypot(*r.values()) == pytest.approx(1.0, abs=1e-12)
    else:
        with pytest.raises(ValueError, match=r"has length \d"):
            parse_annotation(obj)

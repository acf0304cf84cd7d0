"""The three spellings of a 3D box rotation on the wire, all read as one unit quaternion.

- `{"w", "x", "y", "z"}`: a quaternion;
- `{"yaw", "pitch", "roll"}` in radians (missing angles are 0): ZYX intrinsic, i.e. the box
  is turned by yaw about z, then pitch about the new y, then roll about the newest x, so
  R = Rz(yaw) @ Ry(pitch) @ Rx(roll);
- a bare 4-array, read `[w, x, y, z]`.
"""

from __future__ import annotations

import math
from typing import Any

from avala_desktop.core.wire.common import describe, fail, finite_named

# A quaternion this close to unit length is a rounding artefact and is normalised; farther
# away it is probably not a quaternion at all (e.g. x, y, z, w order or Euler angles).
UNIT_TOLERANCE = 1e-3
# Dividing a quaternion that is unit up to rounding by its norm can change its last bits; left
# alone, a stored rotation reads back bit-identical.
_ALREADY_UNIT = 1e-12

_QUATERNION_KEYS = ("w", "x", "y", "z")
_EULER_KEYS = ("yaw", "pitch", "roll")


def quaternion_from_yaw_pitch_roll(
    yaw: float, pitch: float, roll: float
) -> tuple[float, float, float, float]:
    """(w, x, y, z) of R = Rz(yaw) @ Ry(pitch) @ Rx(roll)."""
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    return (
        cr * cp * cy + sr * sp * sy,
        sr * cp * cy - cr * sp * sy,
        cr * sp * cy + sr * cp * sy,
        cr * cp * sy - sr * sp * cy,
    )


def read_rotation(value: Any) -> tuple[float, float, float, float]:
    """A unit quaternion (w, x, y, z) from any accepted rotation spelling."""
    if isinstance(value, dict):
        has_quaternion = any(key in value for key in _QUATERNION_KEYS)
        has_euler = any(key in value for key in _EULER_KEYS)
        if has_quaternion and has_euler:
            fail("rotation mixes quaternion keys (w, x, y, z) with yaw/pitch/roll; send one form")
        if has_euler:
            yaw, pitch, roll = (
                finite_named(value[key], f"rotation {key}") if key in value else 0.0
                for key in _EULER_KEYS
            )
            return quaternion_from_yaw_pitch_roll(yaw, pitch, roll)
        if not has_quaternion:
            fail("rotation needs either w, x, y, z (a quaternion) or yaw, pitch, roll (radians)")
        missing = [key for key in _QUATERNION_KEYS if key not in value]
        if missing:
            fail(f"rotation quaternion is missing {', '.join(missing)}")
        components = [finite_named(value[key], f"rotation {key}") for key in _QUATERNION_KEYS]
    elif isinstance(value, list | tuple):
        if len(value) != 4:
            fail(f"a rotation array must be a quaternion [w, x, y, z], got {len(value)} numbers")
        components = [
            finite_named(item, f"rotation {key}")
            for item, key in zip(value, _QUATERNION_KEYS, strict=True)
        ]
    else:
        fail(
            "rotation must be an object {w, x, y, z} or {yaw, pitch, roll}, or an array "
            f"[w, x, y, z]; got {describe(value)}"
        )
    return _normalised(components)


def _normalised(components: list[float]) -> tuple[float, float, float, float]:
    # math.hypot does not overflow for components near the float limit.
    norm = math.hypot(*components)
    if norm == 0.0:
        fail("rotation quaternion is all zeros")
    if abs(norm - 1.0) > UNIT_TOLERANCE:
        fail(
            f"rotation quaternion has length {norm:.6g}, expected 1 (within {UNIT_TOLERANCE:g}); "
            "send a unit quaternion [w, x, y, z]"
        )
    if abs(norm - 1.0) > _ALREADY_UNIT:
        components = [c / norm for c in components]
    w, x, y, z = components
    return (w, x, y, z)

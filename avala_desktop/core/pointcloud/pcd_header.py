"""The PCD header (v0.6/v0.7): FIELDS, SIZE, TYPE, COUNT, WIDTH, HEIGHT, POINTS, DATA."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A real header is a few hundred bytes; anything without DATA this far in is not a PCD.
_MAX_HEADER_BYTES = 64 * 1024

_TYPE_CODES = {"F": "f", "I": "i", "U": "u"}
_VALID_SIZES = {"F": (4, 8), "I": (1, 2, 4, 8), "U": (1, 2, 4, 8)}
DATA_KINDS = ("ascii", "binary", "binary_compressed")


class PcdHeaderError(ValueError):
    """The header is missing a line or its lines disagree; the message is the reason."""


@dataclass(frozen=True)
class PcdField:
    name: str  # unique: repeated padding fields "_" become "_1", "_2", ...
    size: int
    type: str  # F, I or U
    count: int

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(f"<{_TYPE_CODES[self.type]}{self.size}")


@dataclass(frozen=True)
class PcdHeader:
    fields: tuple[PcdField, ...]
    width: int
    height: int
    points: int
    data: str
    data_offset: int  # first byte after the DATA line

    @property
    def record_dtype(self) -> np.dtype:
        """One point of a binary file, packed (PCD records have no alignment padding)."""
        return np.dtype(
            [
                (f.name, f.dtype) if f.count == 1 else (f.name, f.dtype, (f.count,))
                for f in self.fields
            ]
        )

    @property
    def record_size(self) -> int:
        return sum(f.size * f.count for f in self.fields)

    def field(self, name: str) -> PcdField | None:
        return next((f for f in self.fields if f.name == name), None)


def parse_header(buf: bytes | bytearray | memoryview) -> PcdHeader:
    """Parse the header at the start of ``buf``; raises PcdHeaderError with a reason."""
    head = bytes(buf[:_MAX_HEADER_BYTES])
    entries: dict[str, list[str]] = {}
    pos = 0
    data_offset = -1
    while pos < len(head):
        end = head.find(b"\n", pos)
        if end < 0:
            end = len(head)
        line = head[pos:end].strip()
        pos = end + 1
        if not line or line.startswith(b"#"):
            continue
        try:
            words = line.decode("ascii").split()
        except UnicodeDecodeError:
            raise PcdHeaderError(
                "the header contains non-text bytes; this is not a PCD file"
            ) from None
        key = words[0].upper()
        entries[key] = words[1:]
        if key == "DATA":
            data_offset = min(pos, len(buf))
            break
    if data_offset < 0:
        raise PcdHeaderError(
            "no DATA line in the header; this is not a PCD file or it is cut short"
        )
    return _build(entries, data_offset)


def _ints(entries: dict[str, list[str]], key: str) -> list[int]:
    try:
        return [int(w) for w in entries[key]]
    except ValueError:
        raise PcdHeaderError(
            f"{key} must list whole numbers, got {' '.join(entries[key])!r}"
        ) from None


def _one_int(entries: dict[str, list[str]], key: str, default: int | None = None) -> int:
    if key not in entries:
        if default is None:
            raise PcdHeaderError(f"the header has no {key} line")
        return default
    values = _ints(entries, key)
    if len(values) != 1 or values[0] < 0:
        raise PcdHeaderError(
            f"{key} must be one non-negative number, got {' '.join(entries[key])!r}"
        )
    return values[0]


def _build(entries: dict[str, list[str]], data_offset: int) -> PcdHeader:
    names = entries.get("FIELDS") or entries.get("COLUMNS")
    if not names:
        raise PcdHeaderError("the header has no FIELDS line")
    for key in ("SIZE", "TYPE"):
        if key not in entries:
            raise PcdHeaderError(f"the header has no {key} line")
    sizes = _ints(entries, "SIZE")
    types = [t.upper() for t in entries["TYPE"]]
    counts = _ints(entries, "COUNT") if "COUNT" in entries else [1] * len(names)
    for key, values in (("SIZE", sizes), ("TYPE", types), ("COUNT", counts)):
        if len(values) != len(names):
            raise PcdHeaderError(f"{key} lists {len(values)} values for {len(names)} FIELDS")
    fields: list[PcdField] = []
    seen: dict[str, int] = {}
    for name, size, typ, count in zip(names, sizes, types, counts, strict=True):
        if typ not in _VALID_SIZES or size not in _VALID_SIZES[typ]:
            raise PcdHeaderError(f"field {name!r} has an unsupported type {typ}{size}")
        if count < 1:
            raise PcdHeaderError(f"field {name!r} has COUNT {count}; it must be at least 1")
        unique = name
        if name in seen:
            seen[name] += 1
            unique = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        fields.append(PcdField(unique, size, typ, count))
    width = _one_int(entries, "WIDTH")
    height = _one_int(entries, "HEIGHT", default=1)
    points = _one_int(entries, "POINTS", default=width * height)
    if points != width * height:
        raise PcdHeaderError(f"POINTS {points} differs from WIDTH x HEIGHT = {width} x {height}")
    data = entries["DATA"][0].lower() if entries["DATA"] else ""
    if data not in DATA_KINDS:
        raise PcdHeaderError(
            f"DATA {data or '(empty)'!r} is not one of ascii, binary, binary_compressed"
        )
    return PcdHeader(tuple(fields), width, height, points, data, data_offset)

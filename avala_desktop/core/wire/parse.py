"""Reading a model's response: the whole body, then each annotation on its own.

A response that cannot be read at all fails its asset with a `ResponseError`; inside a
readable response each annotation stands alone, so one bad annotation becomes an
`AnnotationProblem` and the others are kept. Nothing else may escape, whatever the bytes.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import ValidationError

from avala_desktop.core.wire.annotations import MODEL_BY_TYPE, Annotation
from avala_desktop.core.wire.common import AnnotationType, WireContext, describe
from avala_desktop.core.wire.errors import (
    AnnotationInvalid,
    AnnotationProblem,
    ResponseError,
    ResponseErrorKind,
)
from avala_desktop.core.wire.reasons import reason_from

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Python refuses to turn integers of over 4300 digits into int. Any integer over 300 digits
# overflows a float anyway, so those are read as infinity and refused per annotation.
_MAX_INT_DIGITS = 300
_TYPE_NAMES = ", ".join(t.value for t in AnnotationType)
# Names servers commonly use for our types: named in the reason, never accepted silently.
_TYPE_HINTS = {
    "bbox": AnnotationType.BOUNDING_BOX,
    "box": AnnotationType.BOUNDING_BOX,
    "mask": AnnotationType.SEGMENTATION_MASK,
    "segmentation": AnnotationType.SEGMENTATION_MASK,
    "line": AnnotationType.POLYLINE,
    "class": AnnotationType.CLASSIFICATION,
    "cuboid": AnnotationType.BOUNDING_BOX_3D,
    "bbox3d": AnnotationType.BOUNDING_BOX_3D,
    "bbox_3d": AnnotationType.BOUNDING_BOX_3D,
}
# Keys whose values are read; duplicate keys inside anything else are as ignorable as it is.
_READ_KEYS = frozenset(
    {"vertices", "length", "width", "height"}.union(
        *(model.model_fields for model in MODEL_BY_TYPE.values())
    )
)


@dataclass(frozen=True, slots=True)
class ParsedResponse:
    annotations: list[Annotation] = field(default_factory=list)
    problems: list[AnnotationProblem] = field(default_factory=list)


class _JsonObject(dict[str, Any]):
    """A JSON object in which some key appeared more than once (the last value was kept)."""

    duplicate_keys: list[str]


class _Loader:
    """json.loads remembering duplicate keys and reading any integer, however long."""

    def __init__(self) -> None:
        self.saw_duplicates = False

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        self.saw_duplicates = True
        marked = _JsonObject(obj)
        seen: set[str] = set()
        marked.duplicate_keys = []
        for key, _ in pairs:
            if key in seen:
                marked.duplicate_keys.append(key)
            seen.add(key)
        return marked

    @staticmethod
    def _int(text: str) -> int | float:
        return int(text) if len(text) <= _MAX_INT_DIGITS else float(text)

    def load(self, text: str) -> Any:
        try:
            return json.loads(text, object_pairs_hook=self._object)
        except json.JSONDecodeError:
            raise
        except ValueError:
            # Only int() refusing a number of thousands of digits gets here; a hook for every
            # integer would slow down the common case (long RLE counts lists) twofold.
            self.saw_duplicates = False
            return json.loads(text, object_pairs_hook=self._object, parse_int=self._int)


def _size_in_bytes(body: str, limit: int) -> int:
    # Every character is at least one byte, so the cheap length settles most bodies.
    if len(body) > limit or len(body) * 4 <= limit:
        return len(body)
    return len(body.encode("utf-8", "surrogatepass"))


def _amount(size: int) -> str:
    return f"{size:,} bytes" if size < 2**20 else f"{size / 2**20:.1f} MiB"


def _too_large(size: int, limit: int) -> ResponseError:
    return ResponseError.of(
        ResponseErrorKind.TOO_LARGE,
        f"the response is {_amount(size)}, more than the {_amount(limit)} limit; "
        "return fewer annotations, or masks as 'mask_url' instead of long RLE lists",
    )


def _decode(body: bytes | str, max_bytes: int) -> str:
    if isinstance(body, str):
        if _size_in_bytes(body, max_bytes) > max_bytes:
            raise _too_large(_size_in_bytes(body, max_bytes), max_bytes)
        return body.removeprefix("\ufeff")
    data = bytes(body)
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ResponseError.of(
            ResponseErrorKind.NOT_JSON,
            f"the response is not UTF-8 text (byte 0x{data[error.start]:02x} at position "
            f"{error.start}); the endpoint must answer with UTF-8 JSON",
        ) from None


def _load(body: bytes | str, max_bytes: int) -> tuple[Any, bool]:
    text = _decode(body, max_bytes)
    if not text.strip():
        raise ResponseError.of(
            ResponseErrorKind.NOT_JSON,
            'the response body is empty; the endpoint must answer {"annotations": [...]}',
        )
    loader = _Loader()
    try:
        return loader.load(text), loader.saw_duplicates
    except json.JSONDecodeError as error:
        start = max(error.pos - 20, 0)
        raise ResponseError.of(
            ResponseErrorKind.NOT_JSON,
            f"the response is not valid JSON: {error.msg} at line {error.lineno} column "
            f"{error.colno} (near {text[start : error.pos + 20]!r})",
        ) from None
    except RecursionError:
        raise ResponseError.of(
            ResponseErrorKind.NOT_JSON,
            "the response nests arrays or objects too deeply to be read",
        ) from None


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, bool) or value is None:
        return f"JSON {describe(value)}"
    if isinstance(value, int | float):
        return "a JSON number"
    return "an object"


def _annotation_items(document: Any) -> list[Any]:
    if not isinstance(document, dict):
        raise ResponseError.of(
            ResponseErrorKind.NOT_OBJECT,
            f"the response is {_json_kind(document)}, not an object; the endpoint must answer "
            '{"annotations": [...]}',
        )
    if isinstance(document, _JsonObject) and "annotations" in document.duplicate_keys:
        raise ResponseError.of(
            ResponseErrorKind.NO_ANNOTATIONS,
            "the response has the key 'annotations' more than once; send one list",
        )
    if "annotations" not in document:
        keys = ", ".join(describe(key) for key in list(document)[:6]) or "none"
        raise ResponseError.of(
            ResponseErrorKind.NO_ANNOTATIONS,
            f"the response has no 'annotations' key (its keys: {keys}); the endpoint must "
            'answer {"annotations": [...]}, with [] when it finds nothing',
        )
    items = document["annotations"]
    if not isinstance(items, list):
        raise ResponseError.of(
            ResponseErrorKind.NO_ANNOTATIONS,
            f"'annotations' is {_json_kind(items)}, not a list",
        )
    return items


def _duplicate_key(item: dict[str, Any]) -> str | None:
    """The first key given twice anywhere in the parts of ``item`` that are read."""
    if isinstance(item, _JsonObject):
        read = [key for key in item.duplicate_keys if key in _READ_KEYS]
        if read:
            return read[0]
    # Iterative, because a value may nest as deep as the JSON parser allowed.
    pending: list[Any] = [value for key, value in item.items() if key in _READ_KEYS]
    while pending:
        value = pending.pop()
        if isinstance(value, _JsonObject):
            return value.duplicate_keys[0]
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return None


def _unknown_type(raw: str) -> str:
    normalised = raw.strip().lower().replace("-", "_").replace(" ", "_")[:64]
    hint = _TYPE_HINTS.get(normalised)
    if hint is None:
        close = difflib.get_close_matches(normalised, [t.value for t in AnnotationType], n=1)
        hint = AnnotationType(close[0]) if close else None
    suggestion = f"; did you mean {hint.value!r}?" if hint is not None else ""
    return f"unknown type {describe(raw)}{suggestion} (the types are {_TYPE_NAMES})"


def _validate(obj: Any, ctx: WireContext) -> Annotation:
    if not isinstance(obj, dict):
        raise AnnotationInvalid(f"must be an object, got {describe(obj)}")
    raw = obj.get("type")
    if raw is None:
        missing = "missing 'type'" if "type" not in obj else "'type' is null"
        raise AnnotationInvalid(f"{missing} (one of {_TYPE_NAMES})")
    if not isinstance(raw, str):
        raise AnnotationInvalid(f"'type' must be a string, got {describe(raw)}")
    try:
        kind = AnnotationType(raw)
    except ValueError:
        raise AnnotationInvalid(_unknown_type(raw)) from None
    try:
        model = MODEL_BY_TYPE[kind].model_validate(obj, context=ctx)
    except ValidationError as error:
        raise AnnotationInvalid(reason_from(error), type=kind.value) from None
    return cast(Annotation, model)


def parse_annotation(
    obj: Any,
    *,
    labels: Sequence[str] | None = None,
    width: int | None = None,
    height: int | None = None,
    require_confidence: bool = True,
) -> Annotation:
    """One annotation dict from the wire; raises `AnnotationInvalid` with the reason.

    ``labels``, ``width`` and ``height`` are the request's; when given, the label must be
    in the set and a mask must have the asset's size. ``require_confidence=False`` accepts
    annotations without a confidence (a person drew them), e.g. in an imported file.
    """
    ctx = WireContext.build(labels, width, height, require_confidence=require_confidence)
    return _validate(obj, ctx)


def annotation_from_stored(
    type: str, label: str, confidence: float | None, geometry: Mapping[str, Any]
) -> Annotation:
    """Rebuild the model of a stored annotation from its canonical parts."""
    if not isinstance(geometry, Mapping):
        raise AnnotationInvalid(f"stored geometry must be an object, got {describe(geometry)}")
    data = {**geometry, "type": str(type), "label": label, "confidence": confidence}
    return _validate(data, WireContext(require_confidence=False))


def parse_response(
    body: bytes | str,
    *,
    labels: Sequence[str] | None,
    width: int | None,
    height: int | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParsedResponse:
    """The usable annotations of a response body plus a problem for each unusable one.

    Raises `ResponseError` (BAD_RESPONSE or TOO_LARGE) when the body as a whole cannot be
    used: too large, not UTF-8 JSON, not an object, or without an `annotations` list.
    """
    document, saw_duplicates = _load(body, max_bytes)
    items = _annotation_items(document)
    ctx = WireContext.build(labels, width, height)
    result = ParsedResponse()
    for index, item in enumerate(items):
        try:
            if saw_duplicates and isinstance(item, dict):
                key = _duplicate_key(item)
                if key is not None:
                    raise AnnotationInvalid(
                        f"the key {describe(key)} appears more than once in one object; "
                        "send each key once",
                        type=_known_type(item),
                    )
            result.annotations.append(_validate(item, ctx))
        except AnnotationInvalid as invalid:
            subject = f"annotation {index}" + (f" ({invalid.type})" if invalid.type else "")
            result.problems.append(
                AnnotationProblem(index, invalid.type, f"{subject}: {invalid.reason}")
            )
    return result


def _known_type(item: dict[str, Any]) -> str | None:
    raw = item.get("type")
    return raw if isinstance(raw, str) and raw in MODEL_BY_TYPE else None

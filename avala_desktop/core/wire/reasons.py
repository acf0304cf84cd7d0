"""Turn a pydantic ValidationError into one short sentence a person can act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from avala_desktop.core.wire.common import VALUE, WHOLE, describe

_EXPECTED_BY_TYPE = {
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dict_type": "an object",
    "list_type": "a list",
    "tuple_type": "a list",
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
}


def location(loc: Sequence[int | str]) -> str:
    """('points', 2, 'x') -> 'points[2].x'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _one(error: Any) -> str:
    kind = error["type"]
    where = location(error["loc"])
    message = str(error["msg"])
    if kind == WHOLE:
        return message
    if kind == VALUE:
        return f"{where}: {message}" if where else message
    if kind == "missing":
        return f"missing {where!r}" if where else "a required field is missing"
    expected = _EXPECTED_BY_TYPE.get(kind)
    if expected is not None:
        subject = f"{where!r}" if where else "value"
        return f"{subject} must be {expected}, got {describe(error.get('input'))}"
    # A kind this module has no wording for: pydantic's own message, still with its location.
    return f"{where}: {message}" if where else message


def reason_from(error: ValidationError) -> str:
    details = error.errors(include_url=False)
    if not details:
        return "invalid annotation"
    first = _one(details[0])
    more = len(details) - 1
    if more:
        first += f" (and {more} more problem{'s' if more > 1 else ''})"
    return first

"""Building blocks shared by the wire models: numbers, labels, the validation context.

Everything a model server sends is untrusted, so the checks here never trust a type: a
boolean is not a number, a string is a number only when it spells a finite one, and every
message names what was wrong in words a person configuring the endpoint can act on.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, NoReturn

from pydantic import AfterValidator, PlainValidator, ValidationInfo
from pydantic_core import PydanticCustomError

# Labels longer than this are certainly a bug in the model server, and would bloat every
# table and dropdown that shows them.
MAX_LABEL_CHARS = 256
# How many allowed labels a "not in the label set" reason lists before it truncates.
LABELS_SHOWN = 8

# A decimal number as JSON writes it, allowing the surrounding whitespace some servers add.
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NON_FINITE_WORDS = frozenset({"nan", "inf", "infinity"})


class AnnotationType(StrEnum):
    BOUNDING_BOX = "bounding_box"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    SEGMENTATION_MASK = "segmentation_mask"
    CLASSIFICATION = "classification"
    BOUNDING_BOX_3D = "bounding_box_3d"


@dataclass(frozen=True, slots=True)
class WireContext:
    """What a validation knows about the request the response answers."""

    labels: frozenset[str] | None = None
    label_order: tuple[str, ...] = ()
    width: int | None = None
    height: int | None = None
    require_confidence: bool = True

    @classmethod
    def build(
        cls,
        labels: Sequence[str] | None,
        width: int | None,
        height: int | None,
        *,
        require_confidence: bool = True,
    ) -> WireContext:
        order = tuple(labels) if labels is not None else ()
        return cls(
            labels=frozenset(order) if labels is not None else None,
            label_order=order,
            width=width,
            height=height,
            require_confidence=require_confidence,
        )


def context_of(info: ValidationInfo) -> WireContext:
    ctx = info.context
    return ctx if isinstance(ctx, WireContext) else WireContext(require_confidence=False)


# Error types of our own validation errors: a WHOLE reason is a sentence on its own, a VALUE
# reason ("must be greater than 0") is read after the location of the value it is about.
WHOLE = "wire"
VALUE = "wire_value"


def fail(reason: str) -> NoReturn:
    """Raise a validation error whose message is exactly ``reason``, a sentence on its own."""
    # The reason travels as a context value so braces in it are never read as a template.
    raise PydanticCustomError(WHOLE, "{reason}", {"reason": reason})


def fail_value(reason: str) -> NoReturn:
    """Raise a validation error about a value; the reason is shown after the value's location."""
    raise PydanticCustomError(VALUE, "{reason}", {"reason": reason})


class _ShortRepr(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxlist = self.maxtuple = 4
        self.maxdict = 4
        self.maxstring = 40
        self.maxother = 40
        self.maxlong = 30

    def repr_int(self, x: int, level: int) -> str:
        # repr() of an int with thousands of digits raises ValueError on Python >= 3.11.
        if x.bit_length() > 100:
            return "<a very large integer>"
        return super().repr_int(x, level)

    def repr_float(self, x: float, level: int) -> str:
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return repr(x)


_SHORT = _ShortRepr()


def describe(value: Any) -> str:
    """A short, safe rendering of an untrusted value for a message (JSON spelling)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict):
        return "an object" if value else "an empty object"
    text = _SHORT.repr(value)
    return text.replace("True", "true").replace("False", "false").replace("None", "null")


def to_finite(value: Any) -> float:
    """Coerce a JSON value to a finite float, refusing booleans, NaN and infinities."""
    if isinstance(value, bool):
        fail_value(f"expected a number, got {describe(value)}")
    if isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:
            fail_value("must be a finite number, got an integer too large for a float")
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if _NUMBER_RE.fullmatch(text):
            number = float(text)
        elif text.lower().lstrip("+-") in _NON_FINITE_WORDS:
            fail_value(f"must be a finite number, got {describe(value)}")
        else:
            fail_value(f"expected a number, got {describe(value)}")
    else:
        fail_value(f"expected a number, got {describe(value)}")
    if not math.isfinite(number):
        fail_value(f"must be a finite number, got {describe(value)}")
    return number


def finite_named(value: Any, what: str) -> float:
    """`to_finite` with the reason prefixed by what the number is (for hand-read structures)."""
    try:
        return to_finite(value)
    except PydanticCustomError as error:
        fail(f"{what}: {error.message()}")


def _positive(value: float) -> float:
    if value <= 0:
        fail_value(f"must be greater than 0, got {describe(value)}")
    return value


def _unit_interval(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        fail_value(f"must be between 0 and 1, got {describe(value)}")
    return value


Finite = Annotated[float, PlainValidator(to_finite)]
PositiveFinite = Annotated[float, PlainValidator(to_finite), AfterValidator(_positive)]
UnitInterval = Annotated[float, PlainValidator(to_finite), AfterValidator(_unit_interval)]


def to_int(value: Any, what: str) -> int:
    """An integer from JSON; an integral float such as 1080.0 counts, a boolean does not."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    fail(f"{what} must be an integer, got {describe(value)}")


def utf8_text(value: str) -> bool:
    """True when ``value`` can be written as UTF-8 (JSON escapes can smuggle lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_label(value: Any, ctx: WireContext) -> str:
    if not isinstance(value, str):
        fail(f"label must be a string, got {describe(value)}")
    if not value.strip():
        fail("label is empty")
    if len(value) > MAX_LABEL_CHARS:
        fail(f"label is {len(value)} characters long; the limit is {MAX_LABEL_CHARS}")
    if not utf8_text(value):
        fail(f"label {describe(value)} is not valid Unicode text")
    if ctx.labels is not None and value not in ctx.labels:
        fail(f"label {describe(value)} is not in the label set ({allowed_labels(ctx)})")
    return value


def allowed_labels(ctx: WireContext) -> str:
    if not ctx.label_order:
        return "the label set is empty"
    shown = ", ".join(describe(label) for label in ctx.label_order[:LABELS_SHOWN])
    hidden = len(ctx.label_order) - LABELS_SHOWN
    return f"{shown}, and {hidden} more" if hidden > 0 else shown


def merge_alias(data: dict[str, Any], name: str, alias: str, *, where: str) -> dict[str, Any]:
    """Read ``alias`` as ``name``; both present is ambiguous and refused."""
    if alias not in data:
        return data
    # Not compared for equality: an untrusted value may nest deep enough to exhaust the stack.
    if name in data:
        fail(f"{where} has both {name!r} and {alias!r}; send only one")
    merged = dict(data)
    merged[name] = merged.pop(alias)
    return merged

"""How the wire layer reports what it refused: per annotation, or the response as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from avala_desktop.core.errors import FailureCategory, InferenceFailure


class AnnotationInvalid(ValueError):
    """One annotation cannot be used; ``reason`` says why, ``type`` is its type when known."""

    def __init__(self, reason: str, *, type: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.type = type

    def __str__(self) -> str:
        return f"{self.type}: {self.reason}" if self.type else self.reason


@dataclass(frozen=True, slots=True)
class AnnotationProblem:
    """An annotation of a response that was skipped.

    ``index`` is its 0-based position in the `annotations` list; ``type`` is its annotation
    type when that was one of the six; ``reason`` is a whole sentence naming both, e.g.
    "annotation 3 (polygon): needs at least 3 points, got 2".
    """

    index: int
    type: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "type": self.type, "reason": self.reason}


class ResponseErrorKind(StrEnum):
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    NO_ANNOTATIONS = "no_annotations"
    TOO_LARGE = "too_large"


class ResponseError(InferenceFailure):
    """The response as a whole is unusable; the asset it answers fails with this."""

    def __init__(
        self,
        category: FailureCategory,
        message: str,
        *,
        kind: ResponseErrorKind | None = None,
        detail: Any = None,
    ) -> None:
        super().__init__(category, message, detail=detail)
        if kind is None:
            kind = (
                ResponseErrorKind.TOO_LARGE
                if self.category is FailureCategory.TOO_LARGE
                else ResponseErrorKind.NOT_JSON
            )
        self.kind = ResponseErrorKind(kind)

    @classmethod
    def of(cls, kind: ResponseErrorKind, message: str) -> ResponseError:
        category = (
            FailureCategory.TOO_LARGE
            if kind is ResponseErrorKind.TOO_LARGE
            else FailureCategory.BAD_RESPONSE
        )
        return cls(category, message, kind=kind)

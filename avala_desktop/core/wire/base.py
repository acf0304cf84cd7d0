"""What every annotation has: a type, a label and a confidence, plus its canonical geometry."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from avala_desktop.core.wire.common import (
    AnnotationType,
    UnitInterval,
    check_label,
    context_of,
    fail,
)


class WireModel(BaseModel):
    """Base of every model read from the wire: unknown fields ignored, values immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class AnnotationBase(WireModel):
    type: AnnotationType
    label: str
    # None only for annotations a person drew; a model must always say how sure it is.
    confidence: UnitInterval | None = None

    @model_validator(mode="before")
    @classmethod
    def _confidence_present(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and context_of(info).require_confidence:
            if "confidence" not in data:
                fail("missing confidence (a number from 0 to 1)")
            if data["confidence"] is None:
                fail("confidence is null; send a number from 0 to 1")
        return data

    @field_validator("label", mode="plain")
    @classmethod
    def _label(cls, value: Any, info: ValidationInfo) -> str:
        return check_label(value, context_of(info))

    @abstractmethod
    def geometry_dict(self) -> dict[str, Any]:
        """The geometry part of the canonical form (docs/CONTRACTS.md), JSON-ready."""

    def to_wire(self) -> dict[str, Any]:
        """The whole annotation in canonical form: {type, label, confidence, ...geometry}."""
        return {
            "type": self.type.value,
            "label": self.label,
            "confidence": self.confidence,
            **self.geometry_dict(),
        }

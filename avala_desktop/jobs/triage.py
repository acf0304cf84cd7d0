"""From a model's response body to the suggestions a run keeps, and why it drops the rest.

Kept: a valid annotation whose label is in the project's label set, whose confidence is at
least the threshold and (for a mask given by URL) whose mask could be fetched. Everything
else is counted under one reason: `label_not_in_set`, `below_threshold`, `mask_fetch`, or
`invalid:<what was wrong>` (a short, number-free summary, so that the same mistake repeated
a thousand times is one line of the run's summary, not a thousand).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from avala_desktop.core.wire import (
    DEFAULT_MAX_BYTES,
    AnnotationProblem,
    SegmentationMask,
    parse_response,
)
from avala_desktop.jobs.mask_fetch import MaskFetcher, MaskFetchError

BELOW_THRESHOLD = "below_threshold"
LABEL_NOT_IN_SET = "label_not_in_set"
MASK_FETCH = "mask_fetch"
INVALID_PREFIX = "invalid:"
MAX_NOTES = 3
_SUBJECT = re.compile(r"^annotation \d+(?: \([a-z_0-9]+\))?: ")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", re.IGNORECASE)
_SUMMARY_CHARS = 60


def invalid_reason(problem: AnnotationProblem) -> str:
    """`invalid:polygon: needs at least N points` for "annotation 3 (polygon): needs at
    least 3 points, got 2"."""
    text = _SUBJECT.sub("", problem.reason)
    for stop in (", got ", "; ", " (", ", which "):
        text = text.split(stop, 1)[0]
    text = _NUMBER.sub("N", text).strip()
    if len(text) > _SUMMARY_CHARS:
        text = text[: _SUMMARY_CHARS - 3].rstrip() + "..."
    return f"{INVALID_PREFIX}{problem.type or 'annotation'}: {text}"


@dataclass
class Triage:
    kept: list[dict[str, Any]] = field(default_factory=list)
    discarded: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)

    def message(self) -> str | None:
        """One line for the run's record of this asset: the first problems, if any."""
        if not self.notes:
            return None
        more = sum(self.discarded.values()) - len(self.notes)
        extra = f" (and {more} more)" if more > 0 else ""
        return "; ".join(self.notes) + extra


def triage_response(
    body: bytes,
    *,
    labels: Sequence[str],
    threshold: float,
    width: int | None,
    height: int | None,
    masks: MaskFetcher,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Triage:
    """Raises `ResponseError` when the response as a whole is unusable."""
    # The label set is checked here rather than in parse_response so that an unknown label
    # is counted as such instead of being lumped in with malformed annotations.
    parsed = parse_response(body, labels=None, width=width, height=height, max_bytes=max_bytes)
    result = Triage()
    for problem in parsed.problems:
        result.discarded[invalid_reason(problem)] += 1
        result.note(problem.reason)
    label_set = frozenset(labels)
    size = (height, width) if width is not None and height is not None else None
    for annotation in parsed.annotations:
        if annotation.label not in label_set:
            result.discarded[LABEL_NOT_IN_SET] += 1
            continue
        confidence = annotation.confidence
        if confidence is None or confidence < threshold:
            result.discarded[BELOW_THRESHOLD] += 1
            continue
        geometry = annotation.geometry_dict()
        if isinstance(annotation, SegmentationMask) and annotation.mask_url is not None:
            try:
                geometry = {"rle": masks.fetch_rle(annotation.mask_url, size)}
            except MaskFetchError as exc:
                result.discarded[MASK_FETCH] += 1
                result.note(str(exc))
                continue
        result.kept.append(
            {"type": annotation.type.value, "label": annotation.label, "confidence": confidence,
             **geometry}
        )
    return result

"""Map the concepts the detectors know onto the label set of the request.

Each predictor names what it found as a canonical concept ("person", "car", "region", ...);
the request's labels decide what it is called. A concept matches the first label in the
request's order that is one of its synonyms (case, spaces, dashes, underscores and a plural
"s" ignored). A concept with no label in the set is dropped: the model answers only in the
project's labels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SYNONYMS: dict[str, tuple[str, ...]] = {
    "person": ("pedestrian", "person", "people", "human", "walker"),
    "car": ("car", "vehicle", "automobile", "auto", "sedan", "suv", "van"),
    "truck": ("truck", "lorry", "bus", "large vehicle", "trailer"),
    "cyclist": ("cyclist", "bicycle", "bike", "bicyclist", "rider", "motorcyclist"),
    "object": ("object", "obstacle", "thing", "misc", "unknown", "other"),
    "region": ("object", "region", "shape", "blob", "segment", "area", "foreground", "thing"),
    "foreground": ("foreground", "object", "region", "mask", "segment", "salient", "shape"),
    "line": ("line", "lane", "edge", "road marking", "lane marking", "boundary", "polyline"),
}

# Whole-image concepts (classify.py) and the labels that can stand for each.
SCENE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "bright": ("day", "daytime", "bright", "sunny", "light", "outdoor", "clear"),
    "dark": ("night", "nighttime", "dark", "dim", "low light"),
    "busy": ("urban", "city", "street", "busy", "cluttered", "indoor", "complex"),
    "plain": ("rural", "plain", "simple", "empty", "background", "sky", "uniform"),
}


def normalise(label: str) -> str:
    text = re.sub(r"[\s_\-]+", " ", label.strip().lower())
    return text[:-1] if len(text) > 3 and text.endswith("s") and not text.endswith("ss") else text


class LabelMapper:
    """Resolve concepts against one request's labels; resolution is cached per concept."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        self._cache: dict[str, str | None] = {}

    def resolve(self, concept: str) -> str | None:
        """The request's label for ``concept``, or None when the set has none for it."""
        if concept not in self._cache:
            self._cache[concept] = self._first_match(SYNONYMS.get(concept, (concept,)))
        return self._cache[concept]

    def resolve_scene(self, concept: str) -> str | None:
        return self._first_match(SCENE_SYNONYMS.get(concept, (concept,)))

    def _first_match(self, synonyms: Sequence[str]) -> str | None:
        wanted = {normalise(s) for s in synonyms}
        for label in self.labels:
            if normalise(label) in wanted:
                return label
        return None

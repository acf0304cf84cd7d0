"""Line segments -> ``polyline``.

OpenCV's Line Segment Detector (von Gioi et al.) with advanced refinement, which also reports
each segment's -log10(NFA): how unlikely the alignment is under a noise model. A thick stroke
gives one segment per side, so parallel near-duplicates are dropped first; the rest are chained
end to end into polylines when the gap is small and the direction turns gently. Confidence
blends the chain's summed -log10(NFA) with its length relative to the image diagonal. Falls
back to probabilistic Hough (no NFA, length only) on builds without LSD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from avala_desktop.inference.reference_server.asset import LoadedAsset, Pixels
from avala_desktop.inference.reference_server.base import IMAGE_KINDS, Prediction, confidence
from avala_desktop.inference.reference_server.labels import LabelMapper

MIN_LENGTH_FRACTION = 0.08  # of the image diagonal
JOIN_GAP_FRACTION = 0.03
MAX_TURN_DEG = 25.0
DUPLICATE_DIST_PX = 8.0
MAX_POLYLINES = 20
NFA_SCALE = 20.0  # -log10(NFA) at which that half of the score reaches 1 - 1/e
LENGTH_SCALE = 0.15  # fraction of the diagonal at which that half reaches 1 - 1/e


@dataclass(eq=False)
class Segment:
    p: npt.NDArray[np.float64]  # (2,)
    q: npt.NDArray[np.float64]
    log_nfa: float

    @property
    def length(self) -> float:
        return float(np.linalg.norm(self.q - self.p))

    @property
    def direction(self) -> npt.NDArray[np.float64]:
        d = self.q - self.p
        n = float(np.linalg.norm(d))
        return d / n if n > 0 else np.array([1.0, 0.0])


@dataclass(eq=False)
class Chain:
    points: list[npt.NDArray[np.float64]] = field(default_factory=list)
    log_nfa: float = 0.0

    @property
    def length(self) -> float:
        return sum(
            float(np.linalg.norm(b - a)) for a, b in zip(self.points, self.points[1:], strict=False)
        )


def detect_segments(gray: Pixels) -> list[Segment]:
    if hasattr(cv2, "createLineSegmentDetector"):
        lsd = cv2.createLineSegmentDetector(cv2.LSD_REFINE_ADV)
        lines, _width, _prec, nfa = lsd.detect(gray)
        if lines is None:
            return []
        nfas = nfa.ravel() if nfa is not None else np.full(len(lines), NFA_SCALE)
        return [
            Segment(np.array(seg[:2], float), np.array(seg[2:], float), float(n))
            for seg, n in zip(lines.reshape(-1, 4), nfas, strict=True)
        ]
    edges = cv2.Canny(gray, 50, 150)
    diag = math.hypot(*gray.shape[:2])
    found = cv2.HoughLinesP(
        edges, 1, np.pi / 180, 40, minLineLength=diag * MIN_LENGTH_FRACTION, maxLineGap=5
    )
    if found is None:
        return []
    return [
        Segment(np.array(seg[:2], float), np.array(seg[2:], float), NFA_SCALE)
        for seg in found.reshape(-1, 4)
    ]


def _perp_dist(point: npt.NDArray[np.float64], seg: Segment) -> float:
    d = seg.direction
    v = point - seg.p
    return abs(float(v[0] * d[1] - v[1] * d[0]))


def _deduplicate(segments: list[Segment]) -> list[Segment]:
    """Drop a segment lying along a longer one (the other side of the same stroke)."""
    kept: list[Segment] = []
    for seg in sorted(segments, key=lambda s: s.length, reverse=True):
        duplicate = False
        for other in kept:
            if abs(float(np.dot(seg.direction, other.direction))) < math.cos(math.radians(10)):
                continue
            if max(_perp_dist(seg.p, other), _perp_dist(seg.q, other)) > DUPLICATE_DIST_PX:
                continue
            t = sorted(float(np.dot(x - other.p, other.direction)) for x in (seg.p, seg.q))
            overlap = min(t[1], other.length) - max(t[0], 0.0)
            if overlap > 0.5 * seg.length:
                duplicate = True
                other.log_nfa = max(other.log_nfa, seg.log_nfa)
                break
        if not duplicate:
            kept.append(seg)
    return kept


def _chain(segments: list[Segment], gap: float) -> list[Chain]:
    """Greedily extend the longest segments at both ends with nearby, similarly aimed ones."""
    cos_turn = math.cos(math.radians(MAX_TURN_DEG))
    unused = sorted(segments, key=lambda s: s.length, reverse=True)
    chains = []
    while unused:
        seed = unused.pop(0)
        chain = Chain([seed.p.copy(), seed.q.copy()], seed.log_nfa)
        for at_end in (True, False):
            while True:
                tip = chain.points[-1] if at_end else chain.points[0]
                prev = chain.points[-2] if at_end else chain.points[1]
                heading = (tip - prev) / max(float(np.linalg.norm(tip - prev)), 1e-9)
                best, best_dist, best_far = None, gap, None
                for cand in unused:
                    for near, far in ((cand.p, cand.q), (cand.q, cand.p)):
                        dist = float(np.linalg.norm(near - tip))
                        step = far - tip
                        step_len = float(np.linalg.norm(step))
                        if dist > best_dist or step_len == 0:
                            continue
                        if float(np.dot(step / step_len, heading)) >= cos_turn:
                            best, best_dist, best_far = cand, dist, far
                if best is None or best_far is None:
                    break
                unused.remove(best)
                chain.log_nfa += best.log_nfa
                if at_end:
                    chain.points.append(best_far.copy())
                else:
                    chain.points.insert(0, best_far.copy())
        chains.append(chain)
    return chains


def _simplify(points: list[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    if len(points) <= 2:
        return np.array(points)
    curve = np.array(points, dtype=np.float32).reshape(-1, 1, 2)
    return cv2.approxPolyDP(curve, 2.0, False).reshape(-1, 2).astype(np.float64)


def detect_polylines(asset: LoadedAsset) -> list[tuple[npt.NDArray[np.float64], float]]:
    """Polylines (original-image pixels) with their confidence, best first."""
    gray = asset.gray
    diag = math.hypot(*gray.shape[:2])
    segments = _deduplicate(detect_segments(gray))
    chains = _chain(segments, JOIN_GAP_FRACTION * diag + 3.0)
    out = []
    for chain in chains:
        length = chain.length
        if length < MIN_LENGTH_FRACTION * diag:
            continue
        score = 0.5 * (1 - math.exp(-chain.log_nfa / NFA_SCALE)) + 0.5 * (
            1 - math.exp(-length / (LENGTH_SCALE * diag))
        )
        points = _simplify(chain.points) * asset.scale
        points[:, 0] = np.clip(points[:, 0], 0, asset.width)
        points[:, 1] = np.clip(points[:, 1], 0, asset.height)
        out.append((points, score))
    out.sort(key=lambda item: item[1], reverse=True)
    return out[:MAX_POLYLINES]


class LineDetector:
    name = "lines"
    kinds = IMAGE_KINDS

    def predict(self, asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
        label = LabelMapper(labels).resolve("line")
        if label is None:
            return []
        return [
            {
                "type": "polyline",
                "label": label,
                "confidence": confidence(score),
                "points": [[round(float(x), 2), round(float(y), 2)] for x, y in points],
            }
            for points, score in detect_polylines(asset)
            if len(points) >= 2
        ]


def predict(asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
    return LineDetector().predict(asset, labels)

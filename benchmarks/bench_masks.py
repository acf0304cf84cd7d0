"""Mask codec against pycocotools, same run, same masks: encode and decode of 1920x1080 masks.

Run: .venv/bin/python benchmarks/bench_masks.py [--repeats N]
Prints ms per mask (median of the repeats) and the ratio pycocotools time / our time (> 1 means
ours is faster); writes the figures to benchmarks/results/masks.json.

The masks are those of /work/shared/bench/anchors.py: 20 masks of 5 random discs each (seed 0).
pycocotools reads only Fortran-ordered arrays and returns Fortran-ordered masks, so the headline
rows give it exactly that (as the anchors do), while ours gets and returns the C-ordered arrays
the rest of the app uses. The extra rows show both tools on the other memory order, and two
stress cases of random noise (1% and 50% of the pixels set), whose run counts (~60 thousand and
~1 million) no object mask has.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as coco

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from avala_desktop.core.masks import decode, encode  # noqa: E402

HEIGHT, WIDTH = 1080, 1920


def anchor_masks(count: int = 20) -> list[np.ndarray]:
    """The 1080p disc masks of anchors.py, in C order."""
    rng = np.random.default_rng(0)
    cy, cx = np.ogrid[:HEIGHT, :WIDTH]
    masks = []
    for _ in range(count):
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        for _ in range(5):
            x, y = rng.integers(0, WIDTH - 300), rng.integers(0, HEIGHT - 300)
            mask |= (((cx - x - 150) ** 2 + (cy - y - 150) ** 2) < 140**2).astype(np.uint8)
        masks.append(mask)
    return masks


Work = Callable[[], object]


def compare(ours: Work, theirs: Work, masks: int, repeats: int) -> dict[str, float]:
    """Median ms per mask of each; the repeats alternate, so load from other processes on a
    shared machine falls on both tools alike."""
    times: dict[str, list[float]] = {"ours_ms": [], "pycocotools_ms": []}
    ours()  # warm-up: first-call imports and allocations
    theirs()
    for _ in range(repeats):
        for key, fn in (("ours_ms", ours), ("pycocotools_ms", theirs)):
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    row = {key: statistics.median(values) / masks * 1e3 for key, values in times.items()}
    row["ratio"] = row["pycocotools_ms"] / row["ours_ms"]
    return row


def noise_rows(density: float, repeats: int) -> dict[str, dict[str, float]]:
    """Stress rows: random noise has one run per few pixels, far more than any object mask."""
    rng = np.random.default_rng(1)
    masks = [(rng.random((HEIGHT, WIDTH)) < density).astype(np.uint8) for _ in range(3)]
    f_masks = [np.asfortranarray(m) for m in masks]
    ours_rles = [encode(m) for m in masks]
    coco_rles = [coco.encode(m) for m in f_masks]
    assert [r["counts"] for r in ours_rles] == [r["counts"].decode() for r in coco_rles]
    n = len(masks)
    label = f"random noise {density:.0%}"
    return {
        f"{label}: encode": compare(
            lambda: [encode(m) for m in masks],
            lambda: [coco.encode(m) for m in f_masks],
            n,
            repeats,
        ),
        f"{label}: decode": compare(
            lambda: [decode(r) for r in ours_rles],
            lambda: [coco.decode(r) for r in coco_rles],
            n,
            repeats,
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats (median is kept)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "masks.json")
    args = parser.parse_args()

    c_masks = anchor_masks()
    f_masks = [np.asfortranarray(m) for m in c_masks]
    n = len(c_masks)
    ours_rles = [encode(m) for m in c_masks]
    coco_rles = [coco.encode(m) for m in f_masks]
    # Only time what is proven identical.
    for mask, ours, ref in zip(c_masks, ours_rles, coco_rles, strict=True):
        assert ours["counts"] == ref["counts"].decode("ascii"), "encode differs from pycocotools"
        assert np.array_equal(decode(ours), mask), "decode differs from the mask"

    def both(ours: Work, theirs: Work) -> dict[str, float]:
        return compare(ours, theirs, n, args.repeats)

    rows: dict[str, dict[str, float]] = {
        "encode": both(
            lambda: [encode(m) for m in c_masks], lambda: [coco.encode(m) for m in f_masks]
        ),
        "decode": both(
            lambda: [decode(r) for r in ours_rles], lambda: [coco.decode(r) for r in coco_rles]
        ),
        "encode, both given C-order masks": both(
            lambda: [encode(m) for m in c_masks],
            lambda: [coco.encode(np.asfortranarray(m)) for m in c_masks],
        ),
        "encode, both given Fortran-order masks": both(
            lambda: [encode(m) for m in f_masks], lambda: [coco.encode(m) for m in f_masks]
        ),
        "decode, both returning C-order masks": both(
            lambda: [decode(r) for r in ours_rles],
            lambda: [np.ascontiguousarray(coco.decode(r)) for r in coco_rles],
        ),
        # Keeping 20 fresh 2 MB results makes the kernel fault in and zero new pages for each,
        # which costs both tools alike; dropping each result at once shows the codec work alone.
        "decode, each result dropped at once": both(
            lambda: [decode(r).shape for r in ours_rles],
            lambda: [coco.decode(r).shape for r in coco_rles],
        ),
    }
    for density in (0.01, 0.5):
        rows.update(noise_rows(density, max(3, args.repeats // 3)))

    runs = [len(r["counts"]) for r in ours_rles]
    print(f"{n} masks {WIDTH}x{HEIGHT}, median of {args.repeats} repeats, ms per mask")
    print(f"compressed strings: {min(runs)}..{max(runs)} characters")
    print(f"{'':42} {'ours':>8} {'pycocotools':>12} {'ratio':>7}")
    for name, row in rows.items():
        print(f"{name:42} {row['ours_ms']:8.3f} {row['pycocotools_ms']:12.3f} {row['ratio']:7.2f}")

    result: dict[str, Any] = {
        "masks": n,
        "size": [HEIGHT, WIDTH],
        "repeats": args.repeats,
        "unit": "ms per mask (median)",
        "ratio": "pycocotools time / ours time; > 1 means ours is faster",
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Full-repaint time of the 2D canvas against labelme's canvas, measured in the same run.

Scene (issue 5 §4, the same shapes as /work/shared/bench/labelme_canvas.py, same seed): 2,000
shapes on a 3840x2160 image -- boxes 120x80, 30-vertex polygons, 10-point polylines -- plus 20
segmentation masks, at fit zoom in a 1600x900 widget, painted offscreen with
``widget.render(QPixmap)``. Half the shapes are pending suggestions (dashed), half accepted.

Frames timed (median of many):
- cold: the cached layer is thrown away first, so the image and all 2,020 annotations (with
  captions) are painted again -- what a frame costs after an edit of the view or scene;
- warm: a repaint with the layer cached -- hover, selection highlight, a drag;
- after an edit: an unselected shape replaced (undo, relabel), so the grouped render list is
  rebuilt too;
- zoom step / pan step: a frame right after one wheel notch or a 10 px drag, as a user sees it.
labelme: the reference script run with benchmarks/.venv-ref (benchmarks/setup_reference_env.sh).

    .venv/bin/python benchmarks/bench_canvas.py [--frames 60] [--no-reference]

Prints the numbers and writes benchmarks/results/canvas.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QApplication

from avala_desktop.canvas.shapes2d import CanvasItem
from avala_desktop.canvas.view2d import Canvas2D
from avala_desktop.core.masks import rle

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_SCRIPT = ROOT.parent / "shared" / "bench" / "labelme_canvas.py"
REFERENCE_PYTHON = ROOT / "benchmarks" / ".venv-ref" / "bin" / "python"
RESULTS = ROOT / "benchmarks" / "results" / "canvas.json"
W, H = 3840, 2160
VIEW_W, VIEW_H = 1600, 900
COLORS = {"car": "#e6194b", "pedestrian": "#3cb44b", "lane": "#4363d8", "road": "#f58231"}


def build_items() -> list[CanvasItem]:
    """The reference script's 2,000 shapes (same generator, same order) plus 20 masks."""
    rng = np.random.default_rng(0)
    items: list[CanvasItem] = []
    for i in range(2000):
        k = i % 3
        x, y = rng.uniform(0, W - 200), rng.uniform(0, H - 200)
        state = "pending" if i % 2 == 0 else "accepted"
        conf = round(0.5 + (i % 50) / 100.0, 2)
        if k == 0:
            geo = {"coordinates": {"x": x, "y": y, "width": 120.0, "height": 80.0}}
            items.append(CanvasItem.of(f"b{i}", "bounding_box", "car", geo,
                                       color=COLORS["car"], confidence=conf, state=state))
        elif k == 1:
            a = np.linspace(0, 2 * np.pi, 30, endpoint=False)
            pts = np.column_stack([x + 60 + 50 * np.cos(a), y + 60 + 50 * np.sin(a)])
            items.append(CanvasItem.of(f"p{i}", "polygon", "pedestrian",
                                       {"points": pts.tolist()}, color=COLORS["pedestrian"],
                                       confidence=conf, state=state))
        else:
            line = [[x + j * 20, y + (j % 2) * 15] for j in range(10)]
            items.append(CanvasItem.of(f"l{i}", "polyline", "lane", {"points": line},
                                       color=COLORS["lane"], confidence=conf, state=state))
    mrng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:H, 0:W]
    for m in range(20):
        cx, cy = mrng.uniform(300, W - 300), mrng.uniform(300, H - 300)
        rx, ry = mrng.uniform(80, 260), mrng.uniform(60, 200)
        y0, y1, x0, x1 = int(cy - ry - 2), int(cy + ry + 2), int(cx - rx - 2), int(cx + rx + 2)
        full = np.zeros((H, W), dtype=bool)
        sub = ((xx[y0:y1, x0:x1] + 0.5 - cx) / rx) ** 2 + ((yy[y0:y1, x0:x1] + 0.5 - cy) / ry) ** 2
        full[y0:y1, x0:x1] = sub <= 1.0
        items.append(CanvasItem.of(f"m{m}", "segmentation_mask", "road",
                                   {"rle": rle.encode(full)}, color=COLORS["road"],
                                   confidence=0.8, state="pending" if m % 2 == 0 else "accepted"))
    return items


def make_image() -> QImage:
    """A textured 4K frame (a flat colour would flatter any smooth scaling)."""
    rng = np.random.default_rng(2)
    gradient = np.linspace(60, 160, W, dtype=np.float32)[None, :] + \
        np.linspace(0, 60, H, dtype=np.float32)[:, None]
    noise = rng.integers(0, 40, size=(H, W), dtype=np.uint8)
    gray = np.clip(gradient + noise, 0, 255).astype(np.uint32)
    argb = (0xFF << 24) | (gray << 16) | ((gray * 9 // 10) << 8) | (gray * 8 // 10)
    argb = np.ascontiguousarray(argb.astype(np.uint32))
    return QImage(argb.data, W, H, W * 4, QImage.Format.Format_RGB32).copy()


def median_ms(fn: Callable[[], None], frames: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3, min(times) * 1e3


def run_reference(timeout: float) -> tuple[float | None, str]:
    if not REFERENCE_PYTHON.exists():
        return None, "reference venv missing: run benchmarks/setup_reference_env.sh"
    if not REFERENCE_SCRIPT.exists():
        return None, f"reference script missing: {REFERENCE_SCRIPT}"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([str(REFERENCE_PYTHON), str(REFERENCE_SCRIPT)], capture_output=True,
                          text=True, timeout=timeout, env=env, check=False)
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    found = re.search(r"median ([0-9.]+) ms", line)
    if proc.returncode != 0 or found is None:
        return None, f"reference run failed (exit {proc.returncode}): {proc.stderr[-400:]}"
    return float(found.group(1)), line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv)
    t0 = time.perf_counter()
    items = build_items()
    image = make_image()
    build_s = time.perf_counter() - t0
    canvas = Canvas2D()
    canvas.resize(VIEW_W, VIEW_H)
    t0 = time.perf_counter()
    canvas.set_image(image)
    canvas.set_items(items)
    canvas.fit_to_window()
    target = QPixmap(canvas.size())
    target.fill(QColor(0, 0, 0))
    canvas.render(target)
    first_s = time.perf_counter() - t0
    app.processEvents()

    def cold() -> None:
        canvas.invalidate_cache()
        canvas.render(target)

    def warm() -> None:
        canvas.render(target)

    cold_ms, cold_min = median_ms(cold, args.frames)
    stats = canvas.paint_stats
    fit_zoom = canvas.zoom()
    warm_ms, warm_min = median_ms(warm, args.frames)
    # An edit of an unselected shape (an undo, another window's change): the render list is
    # rebuilt as well as the layer.
    bump = [0]

    def edited() -> None:
        bump[0] += 1
        base = items[bump[0] % 2000]
        moved = base.with_geometry(dict(base.geometry))
        canvas.update_item(moved)
        canvas.render(target)

    edit_ms, edit_min = median_ms(edited, args.frames)
    centre = QPointF(VIEW_W / 2, VIEW_H / 2)
    zoom_in = [True]

    def zoom_step() -> None:
        canvas.zoom_by(1.25 if zoom_in[0] else 0.8, centre)
        zoom_in[0] = not zoom_in[0]
        canvas.render(target)

    zoom_ms, zoom_min = median_ms(zoom_step, args.frames)
    direction = [1.0]

    def pan_step() -> None:
        direction[0] = -direction[0]
        canvas.pan_by(10.0 * direction[0], 0.0)
        canvas.render(target)

    pan_ms, pan_min = median_ms(pan_step, args.frames)
    ref_ms, ref_line = (None, "skipped") if args.no_reference else run_reference(600.0)

    result = {
        "scene": {"image": [W, H], "widget": [VIEW_W, VIEW_H], "shapes": 2000, "masks": 20,
                  "zoom": round(fit_zoom, 4)},
        "painted_last_cold_frame": {"visible": stats.visible, "outlines": stats.shapes,
                                    "tiny": stats.tiny, "captions": stats.captions,
                                    "masks": stats.masks},
        "ours_ms": {"cold_full_repaint": round(cold_ms, 2), "cold_min": round(cold_min, 2),
                    "warm_repaint": round(warm_ms, 2), "warm_min": round(warm_min, 2),
                    "after_edit": round(edit_ms, 2), "after_edit_min": round(edit_min, 2),
                    "zoom_step": round(zoom_ms, 2), "zoom_step_min": round(zoom_min, 2),
                    "pan_step": round(pan_ms, 2), "pan_step_min": round(pan_min, 2)},
        "setup_s": {"build_scene": round(build_s, 3), "load_and_first_paint": round(first_s, 3)},
        "labelme_ms": ref_ms,
        "labelme_output": ref_line,
        "ratio_labelme_over_ours_cold": round(ref_ms / cold_ms, 1) if ref_ms else None,
        "frames": args.frames,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
    }
    print(f"scene: 2,000 shapes + 20 masks on {W}x{H}, widget {VIEW_W}x{VIEW_H}, "
          f"zoom {fit_zoom:.4f}; cold frame painted {stats.shapes} outlines, "
          f"{stats.captions} captions, {stats.masks} masks")
    print(f"ours  cold full repaint: median {cold_ms:.2f} ms (min {cold_min:.2f})")
    print(f"ours  warm repaint:      median {warm_ms:.2f} ms (min {warm_min:.2f})")
    print(f"ours  after an edit:     median {edit_ms:.2f} ms (min {edit_min:.2f})")
    print(f"ours  zoom step frame:   median {zoom_ms:.2f} ms (min {zoom_min:.2f})")
    print(f"ours  pan step frame:    median {pan_ms:.2f} ms (min {pan_min:.2f})")
    print(f"labelme: {ref_line}")
    if ref_ms:
        print(f"ratio labelme / ours (cold): {ref_ms / cold_ms:.1f}x")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Point cloud load and render benchmark against open3d, in one run on one machine.

    .venv/bin/python benchmarks/bench_pointcloud.py [--points 1000000] [--repeat 5]

Times (median of --repeat, runs interleaved so drift hits both sides alike):
- open3d: ``open3d.io.read_point_cloud`` + ``np.asarray(points)`` of a 1 M-point binary PCD
  written by open3d (as ../shared/bench/anchors.py does);
- ours, to the first frame: ``load_point_cloud`` + colour by height + framing camera + a
  1280x800 perspective render + QImage wrap; goal <= 1.2x open3d (issue 7 §4);
- a 1 M-point 1280x800 view re-rendered (goal <= 100 ms), 2 px points, and a top view;
- the same for a binary_compressed file (our LZF decoder is numpy with a Python remainder);
- load only, for a binary_compressed file shaped like lidar output (quantised intensity, ring,
  timestamp; written by open3d's tensor API): the intensity column becomes chains of short LZF
  references, the slow case for our decoder. open3d's legacy reader (the reference above)
  skips those fields; its tensor reader, which keeps them, is timed too;
- ours in the review widget, to the first frame on screen: ``load_point_cloud`` + the
  ``PreparedCloud`` the 3D view draws from + ``PointCloudView.set_cloud`` + painting the whole
  layout (a 1280x800 perspective view and the top view of the whole cloud), offscreen.
Writes benchmarks/results/pointcloud.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import open3d as o3d

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from avala_desktop.canvas import qt_guard  # noqa: F401  (before the QApplication)
from avala_desktop.canvas.cloud3d import PreparedCloud
from avala_desktop.canvas.pointcloud_render import RenderCloud, render, to_qimage
from avala_desktop.canvas.pointcloud_view import PointCloudView
from avala_desktop.core.camera3d import OrbitCamera, OrthoCamera
from avala_desktop.core.pointcloud import load_point_cloud

WIDTH, HEIGHT = 1280, 800


def _open3d_read(path: str) -> np.ndarray:
    return np.asarray(o3d.io.read_point_cloud(path).points)


def _first_frame(path: str) -> object:
    cloud = load_point_cloud(path)
    prepared = RenderCloud(cloud.points)  # colours by height
    camera = OrbitCamera.framing(prepared.points)
    return to_qimage(render(prepared, None, camera, WIDTH, HEIGHT))


class _WidgetFrame:
    """The 3D review layout, shown offscreen with a 1280x800 perspective view."""

    def __init__(self) -> None:
        from PySide6.QtWidgets import QApplication

        self.app = QApplication.instance() or QApplication([])
        self.view = PointCloudView()
        # The perspective view takes 7/10 of the width (the small views the rest).
        self.view.resize(round(WIDTH / 0.7) + 4, HEIGHT)
        self.view.show()
        self.app.processEvents()
        self.size = self.view.viewport("perspective").size()

    def first_frame(self, path: str) -> object:
        self.view.set_cloud(None)
        self.view.set_cloud(PreparedCloud(load_point_cloud(path)))
        return self.view.grab()  # paints every panel; renders the ones that are stale


def _lidar_like(tmp: Path, pts: np.ndarray, repeat: int) -> dict[str, float]:
    rng = np.random.default_rng(1)
    n = pts.shape[0]
    cloud = o3d.t.geometry.PointCloud()
    cloud.point.positions = o3d.core.Tensor(pts.astype(np.float32))
    # Integer-valued intensities, as most lidar drivers write them.
    cloud.point.intensity = o3d.core.Tensor(
        np.round(rng.gamma(2.0, 10.0, (n, 1))).astype(np.float32)
    )
    cloud.point.ring = o3d.core.Tensor((np.arange(n) % 64).astype(np.uint16)[:, None])
    cloud.point.timestamp = o3d.core.Tensor(np.linspace(0.0, 0.1, n)[:, None])
    path = str(tmp / "lidar_like.pcd")
    o3d.t.io.write_point_cloud(path, cloud, compressed=True)
    ms = _interleaved(
        {
            "open3d_read_ms": lambda: _open3d_read(path),
            "open3d_tensor_read_ms": lambda: o3d.t.io.read_point_cloud(path),
            "ours_load_ms": lambda: load_point_cloud(path),
        },
        repeat,
    )
    ms["load_ratio"] = ms["ours_load_ms"] / ms["open3d_read_ms"]
    ms["load_ratio_vs_tensor"] = ms["ours_load_ms"] / ms["open3d_tensor_read_ms"]
    print(
        f"lidar-like compressed PCD {n:,} pts: open3d read {ms['open3d_read_ms']:.1f} ms, "
        f"tensor read {ms['open3d_tensor_read_ms']:.1f} ms | ours load "
        f"{ms['ours_load_ms']:.1f} ms ({ms['load_ratio']:.2f}x, "
        f"{ms['load_ratio_vs_tensor']:.2f}x the tensor reader)"
    )
    return {k: round(v, 3) for k, v in ms.items()}


def _interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()  # warm caches and imports once
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1e3 for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "pointcloud.json"
    )
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    pts = rng.uniform(-50, 50, (args.points, 3))
    legacy = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    results: dict[str, object] = {
        "points": args.points,
        "image": [WIDTH, HEIGHT],
        "repeat": args.repeat,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
        },
        "open3d": o3d.__version__,
    }
    widget = _WidgetFrame()
    results["widget_perspective_size"] = [widget.size.width(), widget.size.height()]
    with tempfile.TemporaryDirectory() as tmp:
        for encoding in ("binary", "binary_compressed"):
            path = str(Path(tmp) / f"cloud_{encoding}.pcd")
            o3d.io.write_point_cloud(
                path, legacy, write_ascii=False, compressed=encoding == "binary_compressed"
            )
            ms = _interleaved(
                {
                    "open3d_read_ms": lambda p=path: _open3d_read(p),
                    "ours_load_ms": lambda p=path: load_point_cloud(p),
                    "ours_first_frame_ms": lambda p=path: _first_frame(p),
                    "ours_widget_first_frame_ms": lambda p=path: widget.first_frame(p),
                },
                args.repeat,
            )
            ms["load_ratio"] = ms["ours_load_ms"] / ms["open3d_read_ms"]
            ms["first_frame_ratio"] = ms["ours_first_frame_ms"] / ms["open3d_read_ms"]
            ms["widget_first_frame_ratio"] = ms["ours_widget_first_frame_ms"] / ms["open3d_read_ms"]
            results[encoding] = {k: round(v, 3) for k, v in ms.items()}
            print(
                f"{encoding:>17} PCD {args.points:,} pts: "
                f"open3d read {ms['open3d_read_ms']:.1f} ms | "
                f"ours load {ms['ours_load_ms']:.1f} ms ({ms['load_ratio']:.2f}x) | "
                f"ours to first frame {ms['ours_first_frame_ms']:.1f} ms "
                f"({ms['first_frame_ratio']:.2f}x, goal <= 1.2x) | "
                f"in the review widget {ms['ours_widget_first_frame_ms']:.1f} ms "
                f"({ms['widget_first_frame_ratio']:.2f}x)"
            )

        results["binary_compressed_lidar"] = _lidar_like(Path(tmp), pts, args.repeat)

    prepared = RenderCloud(pts.astype(np.float32))
    orbit = OrbitCamera.framing(prepared.points)
    top = OrthoCamera(center=(0, 0, 0), scale=HEIGHT / 100.0, view="top")
    frames = _interleaved(
        {
            "perspective_1px_ms": lambda: render(prepared, None, orbit, WIDTH, HEIGHT),
            "perspective_2px_ms": lambda: render(
                prepared, None, orbit, WIDTH, HEIGHT, point_size=2
            ),
            "top_view_1px_ms": lambda: render(prepared, None, top, WIDTH, HEIGHT),
        },
        max(args.repeat, 9),
    )
    results["render"] = {k: round(v, 3) for k, v in frames.items()}
    print(
        f"render {args.points:,} pts at {WIDTH}x{HEIGHT}: "
        f"perspective {frames['perspective_1px_ms']:.1f} ms, "
        f"2 px points {frames['perspective_2px_ms']:.1f} ms, "
        f"top view {frames['top_view_1px_ms']:.1f} ms "
        "(goal <= 100 ms)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

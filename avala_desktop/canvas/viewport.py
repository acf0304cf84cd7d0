"""The mapping between image pixels and widget pixels: screen = image * scale + offset (Qt-free)."""

from __future__ import annotations

from dataclasses import dataclass, replace

MIN_SCALE = 0.01
MAX_SCALE = 64.0


@dataclass(frozen=True)
class ViewTransform:
    scale: float = 1.0
    ox: float = 0.0
    oy: float = 0.0

    def to_screen(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale + self.ox, y * self.scale + self.oy

    def to_image(self, sx: float, sy: float) -> tuple[float, float]:
        return (sx - self.ox) / self.scale, (sy - self.oy) / self.scale

    def visible_rect(self, width: float, height: float) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the image region a width x height widget shows."""
        x0, y0 = self.to_image(0.0, 0.0)
        x1, y1 = self.to_image(width, height)
        return x0, y0, x1, y1

    def zoomed_at(
        self, sx: float, sy: float, factor: float, *, lo: float = MIN_SCALE, hi: float = MAX_SCALE
    ) -> ViewTransform:
        """Scale by ``factor`` keeping the image point under widget point (sx, sy) in place."""
        x, y = self.to_image(sx, sy)
        scale = min(max(self.scale * factor, lo), hi)
        return ViewTransform(scale, sx - x * scale, sy - y * scale)

    def panned(self, dx: float, dy: float) -> ViewTransform:
        return replace(self, ox=self.ox + dx, oy=self.oy + dy)

    @staticmethod
    def fit(image_w: float, image_h: float, view_w: float, view_h: float) -> ViewTransform:
        """The whole image as large as fits, centred."""
        if image_w <= 0 or image_h <= 0 or view_w <= 0 or view_h <= 0:
            return ViewTransform()
        scale = min(view_w / image_w, view_h / image_h)
        return ViewTransform(
            scale, (view_w - image_w * scale) / 2.0, (view_h - image_h * scale) / 2.0
        )

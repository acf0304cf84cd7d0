"""Progress reporting and cancellation shared by the readers, plus chunked file reading."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from avala_desktop.core.pointcloud.model import LoadCancelled, PointCloudError

ProgressCallback = Callable[[float], None]

# 8 MiB: big enough that a read costs far more than the callback, small enough for ~10
# progress steps on a 1 M-point cloud and a prompt reaction to cancel.
CHUNK_BYTES = 8 << 20


class Progress:
    """Maps a reader's stage fractions into 0..1 and raises LoadCancelled when asked to stop."""

    def __init__(
        self,
        source: str,
        callback: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> None:
        self.source = source
        self._callback = callback
        self._cancel = cancel
        self._last = -1.0

    @property
    def cancel_event(self) -> threading.Event | None:
        return self._cancel

    def check(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise LoadCancelled(self.source)

    def report(self, fraction: float) -> None:
        """Report overall progress (monotonic; clamped to 0..1) and honour cancellation."""
        self.check()
        value = min(1.0, max(self._last, fraction))
        if self._callback is not None and value > self._last:
            self._callback(value)
        self._last = value

    def stage(self, start: float, end: float) -> Callable[[float], None]:
        """A callback for one stage whose own 0..1 maps to ``start..end`` overall."""
        return lambda f: self.report(start + (end - start) * f)


def read_file(path: Path, progress: Progress, start: float, end: float) -> bytearray:
    """Read the whole file in chunks, reporting ``start..end`` and checking cancel per chunk."""
    try:
        with path.open("rb", buffering=0) as fh:
            size = path.stat().st_size
            buf = bytearray(size)
            view = memoryview(buf)
            pos = 0
            while pos < size:
                n = fh.readinto(view[pos : pos + CHUNK_BYTES])
                if not n:
                    break
                pos += n
                progress.report(start + (end - start) * pos / max(size, 1))
            view.release()
    except FileNotFoundError:
        raise PointCloudError(progress.source, "the file does not exist") from None
    except IsADirectoryError:
        raise PointCloudError(progress.source, "it is a folder, not a file") from None
    except PermissionError:
        raise PointCloudError(
            progress.source, "permission denied; check the file's access rights"
        ) from None
    except OSError as exc:
        raise PointCloudError(
            progress.source, f"the file could not be read ({exc.strerror or exc})"
        ) from None
    if pos < size:
        # The file shrank while we read it; the readers then see a truncated file.
        del buf[pos:]
    return buf

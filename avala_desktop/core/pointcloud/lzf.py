"""LZF decompression (the codec of PCD ``binary_compressed``), in numpy and pure Python.

LZF is byte-serial, and a serial Python loop costs ~0.25 µs a token: ~130 ms for the ~500 k
tokens of a 1 M-point cloud, twice what open3d takes for the whole file. Blocks past a few kB
are therefore decoded in whole-array steps (~35 ms for that cloud): ``lzf_tokens`` finds every
token start, literal runs are copied as rows, one numpy copy per run width, and
back-references are copied in rounds, each round every reference whose source bytes are
already final. Chains of references to references, which rounds would settle one link at a
time, are finished by a plain loop over the references alone. That loop is what a lidar cloud
with integer-valued intensities costs: they compress to millions of chained 4-byte
references, ~0.5 s for 1 M points, 1.6x open3d's tensor reader (7x its legacy reader, which
skips intensity). The serial decoder stays for small blocks and for streams the speculative
token walk cannot settle, and is the reference the numpy path is tested against.
No LZF wheel on PyPI is both maintained and trustworthy enough to add as a dependency.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from avala_desktop.core.pointcloud.lzf_tokens import BLOCK_BYTES, token_starts


class LzfError(ValueError):
    """The compressed block is truncated or refers outside the data written so far."""


Buffer = bytes | bytearray | memoryview
ProgressFn = Callable[[float], None]

# Below this many compressed bytes the serial loop beats the fixed cost of the numpy steps.
SERIAL_BELOW = 16 * 1024
# Cancel and progress are checked every this many output bytes; per token would cost ~10%.
_CANCEL_STRIDE = 1 << 20
# A vectorised round of back-reference copies costs about as much as this many serial ones.
_MIN_ROUND_REFS = 64
# References checked to predict whether a vectorised round pays off.
_SAMPLE_REFS = 1024
# References copied serially between two looks at the cancel event.
_SERIAL_CHUNK = 1 << 16
# Tokens decoded at a time (~60 MB of work arrays at most).
_TOKEN_CHUNK = 1 << 20


def lzf_decompress(
    src: Buffer,
    out_len: int,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> bytearray:
    """Decompress ``src`` into exactly ``out_len`` bytes.

    Raises LzfError when the stream is corrupt or its output size differs from ``out_len``;
    raises ``InterruptedError`` when ``cancel`` is set; ``progress`` gets the fraction done a
    few times (numpy path) or about every megabyte of output (serial path).
    """
    if len(src) < SERIAL_BELOW:
        return lzf_decompress_serial(src, out_len, cancel, progress)
    return lzf_decompress_numpy(src, out_len, cancel, progress)


def lzf_decompress_numpy(
    src: Buffer,
    out_len: int,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    block: int | None = None,
) -> bytearray:
    """``lzf_decompress`` in whole-array steps, whatever the size; ``block`` is for tests."""
    data = np.frombuffer(src, dtype=np.uint8)
    found = token_starts(data, block or BLOCK_BYTES)
    if found is None:
        return lzf_decompress_serial(src, out_len, cancel, progress)
    starts, end = found
    n = int(data.shape[0])
    if end != n:
        last = int(starts[-1])
        if data[last] < 32:
            raise LzfError(f"literal run at byte {last} runs past the end of the block")
        raise LzfError("back-reference cut off at the end of the block")
    _step(cancel, progress, 0.3)
    out = bytearray(out_len)
    view = np.frombuffer(out, dtype=np.uint8)
    written = 0
    count = int(starts.shape[0])
    # A chunk of tokens at a time bounds the int64 work arrays (and gives progress steps);
    # references only reach back 8 KiB, into output the chunks before have finished.
    for first in range(0, count, _TOKEN_CHUNK):
        chunk = starts[first : first + _TOKEN_CHUNK]
        refs, written = _place_literals(data, chunk, written, view)
        if refs is not None:
            _copy_references(view, out, *refs, cancel)
        _step(cancel, progress, 0.3 + 0.7 * min(first + _TOKEN_CHUNK, count) / count)
    if written < out_len:
        raise LzfError(f"decompressed {written} bytes, the header announced {out_len}")
    if not count:
        _step(cancel, progress, 1.0)
    return out


def _step(cancel: threading.Event | None, progress: ProgressFn | None, fraction: float) -> None:
    if cancel is not None and cancel.is_set():
        raise InterruptedError("cancelled")
    if progress is not None:
        progress(fraction)


def _place_literals(
    data: np.ndarray, starts: np.ndarray, base: int, view: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray] | None, int]:
    """Write the literal bytes of the tokens at ``starts`` into ``view`` from ``base`` on.

    Returns the back-references still to copy as (output start, length, distance), in output
    order (None when there are none), and where the output of these tokens ends.
    """
    ctrl = data[starts]
    is_ref = ctrl >= 32
    lengths = ctrl.astype(np.int64) + 1
    ref_at = np.flatnonzero(is_ref)
    ref_pos = starts[ref_at]
    ref_ctrl = ctrl[ref_at].astype(np.int64)
    second = data[ref_pos + 1].astype(np.int64)
    long_ref = ref_ctrl >= 0xE0
    low = second.copy()
    low[long_ref] = data[ref_pos[long_ref] + 2]
    ref_len = (ref_ctrl >> 5) + np.where(long_ref, second, 0) + 2
    dist = ((ref_ctrl & 0x1F) << 8) + low + 1
    lengths[ref_at] = ref_len
    out_end = np.cumsum(lengths)
    out_end += base
    written = int(out_end[-1])
    if written > view.shape[0]:
        raise LzfError("decompressed data is larger than the size in the header")
    ref_out = out_end[ref_at] - ref_len
    before_start = np.flatnonzero(ref_out < dist)
    if before_start.size:
        at = int(ref_pos[before_start[0]])
        raise LzfError(f"back-reference at byte {at} points before the start")
    lit_at = np.flatnonzero(~is_ref)
    lit_ctrl = ctrl[lit_at]
    _copy_runs(data, starts[lit_at] + 1, view, out_end[lit_at] - lit_ctrl - 1, lit_ctrl)
    return ((ref_out, ref_len, dist) if ref_at.size else None), written


def _copy_runs(
    src: np.ndarray, src_at: np.ndarray, dst: np.ndarray, dst_at: np.ndarray, ctrl: np.ndarray
) -> None:
    """Copy literal runs of ``ctrl + 1`` bytes from ``src_at`` to ``dst_at`` (in output order).

    Runs move as rows of a sliding window, one fancy-indexing copy per row width. A copy that
    sweeps the whole output for a few scattered rows costs a cache miss per row, so the short
    runs are first copied as full 32-byte rows in one sweep, the full runs then overwrite
    what spilled onto them, and the short runs another short run may have spilled onto (numpy
    does not promise the order of one assignment's overlapping rows) are copied again at
    their own widths.
    """
    full = ctrl == 31
    short = np.flatnonzero(~full)
    if dst.shape[0] >= 32 and src.shape[0] >= 32:
        fits = (dst_at[short] <= dst.shape[0] - 32) & (src_at[short] <= src.shape[0] - 32)
        wide = short[fits]
        _copy_rows(src, src_at[wide], dst, dst_at[wide], 32)
        at = np.flatnonzero(full)
        _copy_rows(src, src_at[at], dst, dst_at[at], 32)
        spilled_on = dst_at[wide[1:]] < dst_at[wide[:-1]] + 32
        short = np.concatenate([short[~fits], wide[1:][spilled_on]])
    else:
        short = np.arange(ctrl.shape[0])
    order = short[np.argsort(ctrl[short], kind="stable")]
    bounds = np.cumsum(np.bincount(ctrl[short], minlength=32)).tolist()
    first = 0
    for width, last in enumerate(bounds, start=1):
        if last > first:
            at = order[first:last]
            _copy_rows(src, src_at[at], dst, dst_at[at], width)
        first = last


def _copy_rows(
    src: np.ndarray, src_at: np.ndarray, dst: np.ndarray, dst_at: np.ndarray, width: int
) -> None:
    if src_at.size:
        _windows(dst, width)[dst_at] = _windows(src, width)[src_at]


def _windows(buf: np.ndarray, width: int) -> np.ndarray:
    """Every ``width``-byte window of ``buf`` as one opaque item: numpy then copies a row per
    item instead of byte by byte, twice as fast as a uint8 sliding window."""
    count = buf.shape[0] - width + 1
    return np.ndarray(shape=(count,), dtype=np.dtype(f"V{width}"), buffer=buf, strides=(1,))


def _copy_references(
    view: np.ndarray,
    out: bytearray,
    ref_out: np.ndarray,
    ref_len: np.ndarray,
    dist: np.ndarray,
    cancel: threading.Event | None,
) -> None:
    """Copy back-references into ``view`` (literals already in place).

    Each round copies, all at once, the references whose source bytes no pending reference
    still has to write. Chains of references to references (quantised intensities, say) would
    take a round per link, so once a sample says a round would settle less than half of what
    is pending, the rest is copied in order by a plain loop (~90 ns a reference).
    """
    pending = np.arange(ref_out.shape[0])
    while pending.size >= _MIN_ROUND_REFS:
        p_start = ref_out[pending]
        p_len = ref_len[pending]
        p_end = p_start + p_len
        src = p_start - dist[pending]
        if pending.size >= 4 * _SAMPLE_REFS:
            pick = np.linspace(0, pending.size - 1, _SAMPLE_REFS).astype(np.int64)
            if _sources_final(p_start, p_end, src[pick], p_len[pick]).mean() < 0.5:
                break
        ready = _sources_final(p_start, p_end, src, p_len)
        lens = p_len[ready]
        total = int(lens.sum())
        shift = np.cumsum(lens) - lens
        dest = np.repeat(p_start[ready] - shift, lens) + np.arange(total)
        view[dest] = view[dest - np.repeat(dist[pending[ready]], lens)]
        pending = pending[~ready]
        if cancel is not None and cancel.is_set():
            raise InterruptedError("cancelled")
        if lens.size < pending.size:
            break
    for first in range(0, pending.size, _SERIAL_CHUNK):
        chosen = pending[first : first + _SERIAL_CHUNK]
        starts = ref_out[chosen]
        _copy_in_order(
            out, starts.tolist(), (starts - dist[chosen]).tolist(), ref_len[chosen].tolist()
        )
        if cancel is not None and cancel.is_set():
            raise InterruptedError("cancelled")


def _sources_final(
    p_start: np.ndarray, p_end: np.ndarray, src: np.ndarray, length: np.ndarray
) -> np.ndarray:
    """Whether each source range [src, src + length) misses every pending output range."""
    # The first pending range ending after `src` must start at or after the source's end.
    k = np.searchsorted(p_end, src, side="right")
    following = np.append(p_start, np.iinfo(np.int64).max)[k]
    return following >= src + length


def _copy_in_order(out: bytearray, starts: list[int], srcs: list[int], lengths: list[int]) -> None:
    # Three lists, not four: making the Python ints costs as much as the copies.
    for op, src, length in zip(starts, srcs, lengths, strict=True):
        if src + length <= op:
            out[op : op + length] = out[src : src + length]
        else:
            # An overlapping reference repeats the last `op - src` bytes (runs of zeros).
            pattern = bytes(out[src:op])
            out[op : op + length] = (pattern * (length // (op - src) + 1))[:length]


def lzf_decompress_serial(
    src: Buffer,
    out_len: int,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> bytearray:
    """``lzf_decompress`` one token at a time: fast for small or highly compressed blocks."""
    data = bytes(src)
    out = bytearray(out_len)
    n = len(data)
    ip = 0
    op = 0
    next_check = _CANCEL_STRIDE
    while ip < n:
        ctrl = data[ip]
        ip += 1
        if ctrl < 32:
            run = ctrl + 1
            if ip + run > n:
                raise LzfError(f"literal run at byte {ip - 1} runs past the end of the block")
            if op + run > out_len:
                raise LzfError("decompressed data is larger than the size in the header")
            out[op : op + run] = data[ip : ip + run]
            ip += run
            op += run
        else:
            length = ctrl >> 5
            if length == 7:
                if ip >= n:
                    raise LzfError("back-reference cut off at the end of the block")
                length += data[ip]
                ip += 1
            if ip >= n:
                raise LzfError("back-reference cut off at the end of the block")
            ref = op - ((ctrl & 0x1F) << 8) - data[ip] - 1
            ip += 1
            length += 2
            if ref < 0:
                raise LzfError(f"back-reference at byte {ip - 2} points before the start")
            if op + length > out_len:
                raise LzfError("decompressed data is larger than the size in the header")
            distance = op - ref
            if distance >= length:
                out[op : op + length] = out[ref : ref + length]
            else:
                # An overlapping reference repeats the last `distance` bytes (runs of zeros).
                pattern = bytes(out[ref:op])
                reps = length // distance + 1
                out[op : op + length] = (pattern * reps)[:length]
            op += length
        if op >= next_check:
            next_check = op + _CANCEL_STRIDE
            if cancel is not None and cancel.is_set():
                raise InterruptedError("cancelled")
            if progress is not None:
                progress(op / out_len)
    if op != out_len:
        raise LzfError(f"decompressed {op} bytes, the header announced {out_len}")
    return out

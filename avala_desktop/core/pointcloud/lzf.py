"""LZF decompression (the codec of PCD ``binary_compressed``), in pure Python.

LZF is a byte-serial format, so it cannot be vectorised; slicing copies whole literal runs and
back-references at once, which keeps a 12 MB (1 M-point) block at about a tenth of a second.
No LZF wheel on PyPI is both maintained and trustworthy enough to add as a dependency.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class LzfError(ValueError):
    """The compressed block is truncated or refers outside the data written so far."""


# Cancel and progress are checked every this many output bytes; per token would cost ~10%.
_CANCEL_STRIDE = 1 << 20


def lzf_decompress(
    src: bytes | bytearray | memoryview,
    out_len: int,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> bytearray:
    """Decompress ``src`` into exactly ``out_len`` bytes.

    Raises LzfError when the stream is corrupt or its output size differs from ``out_len``;
    raises ``InterruptedError`` when ``cancel`` is set; ``progress`` gets the fraction done
    about every megabyte of output.
    """
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

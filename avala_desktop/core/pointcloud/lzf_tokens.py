"""Finding where each LZF token starts, with numpy instead of a byte-serial Python loop.

A token's length depends only on its first byte (a literal run ``c < 32`` spans ``c + 2``
bytes, a back-reference 2 bytes, or 3 when ``c >> 5 == 7``), so the stream is a chain
``p -> p + step[data[p]]``; only where it starts depends on the tokens before it. The chain is
walked speculatively from the start of every block at once (one numpy step moves every block's
walker by one token). A walker that starts inside a literal run reads garbage at first, but
lands on a real token start within a few tokens, and from there follows the real chain. The
walk that enters block k from block k - 1 then only has to go as far as the first position the
speculative walker of block k visited. When a block's speculative walker never joins the real
chain, the block after it is redone from the corrected entry; streams where that keeps
happening are left to the caller's serial decoder (``None``), so the worst case stays that
decoder's speed.
"""

from __future__ import annotations

import numpy as np

_STEPS = [c + 2 if c < 32 else (2 if c < 0xE0 else 3) for c in range(256)]
# Bytes per speculative walker (a power of two; measured best from 60 KB to 22 MB blocks):
# ~300 tokens of incompressible point data, so a walk takes a few hundred numpy steps, and
# the garbage each walker reads before it joins the real chain stays a small share.
BLOCK_BYTES = 8192
# Rounds of re-walking blocks whose entry changed before giving up on speculation.
_MAX_ROUNDS = 6
# Walkers left when a numpy step costs more than moving them one by one in Python: the tail
# of blocks full of short back-references, and every walker of a stream under ~1 MB.
_TAIL_WALKERS = 128


def token_starts(data: np.ndarray, block: int = BLOCK_BYTES) -> tuple[np.ndarray, int] | None:
    """The sorted start offsets of every token in ``data`` and where the last token ends.

    The end is ``len(data)`` for a well-formed stream and beyond it when the last token is cut
    off. Returns None when speculation keeps failing (the caller then decodes serially).
    """
    n = int(data.shape[0])
    # int32 positions halve the memory traffic of every step; a PCD block can pass 2 GiB.
    index = np.dtype(np.int32) if n < 2**31 - 64 else np.dtype(np.int64)
    if n == 0:
        return np.empty(0, index), 0
    if block < 64 or block & (block - 1):
        raise ValueError(f"block must be a power of two of at least 64 bytes, got {block}")
    shift = block.bit_length() - 1
    walker = _Walker(data, index)
    starts = np.arange(0, n, block, dtype=index)
    limits = np.append(starts[1:], np.array(n, index))
    # Walk every block from its first byte; the walker of block 0 is the real chain.
    spec_pos, spec_exit, _ = walker.walk(starts, limits, None)
    visited = np.zeros(n, dtype=bool)
    visited[spec_pos] = True
    n_blocks = starts.shape[0]
    # First real token start each block's speculative walker shares with the real chain;
    # its positions before that are garbage. n (beyond every block) when it never joins.
    joined_at = np.full(n_blocks, n, dtype=index)
    joined_at[0] = 0
    exits = spec_exit.copy()
    fix_pos: list[np.ndarray] = []
    latest = np.full(n_blocks, -1, dtype=np.int64)
    todo = np.arange(1, n_blocks, dtype=np.int64)
    for round_no in range(_MAX_ROUNDS + 1):
        if todo.size == 0:
            break
        if round_no == _MAX_ROUNDS:
            return None
        pos, fix_exit, joined = walker.walk(exits[todo - 1], limits[todo], visited)
        fix_pos.append(pos)
        latest[todo] = round_no
        joined_now = joined >= 0
        joined_at[todo] = np.where(joined_now, joined, n)
        new_exits = np.where(joined_now, spec_exit[todo], fix_exit)
        changed = new_exits != exits[todo]
        exits[todo] = new_exits
        # A block whose exit moved has to be walked again from the new entry.
        todo = todo[changed] + 1
        todo = todo[todo < n_blocks]
    parts = [spec_pos[spec_pos >= joined_at[spec_pos >> shift]]]
    for round_no, pos in enumerate(fix_pos):
        parts.append(pos[latest[pos >> shift] == round_no])
    result = np.concatenate(parts)
    result.sort()
    return result, int(exits[-1])


class _Walker:
    """Follows token chains from many starts at once."""

    def __init__(self, data: np.ndarray, index: np.dtype) -> None:
        self.data = data
        self.index = index
        self.steps = np.array(_STEPS, dtype=index)

    def walk(
        self, starts: np.ndarray, limits: np.ndarray, stop: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Follow the chain from each start, all in lockstep.

        A walker ends at the first position >= its limit (its exit) or, with ``stop``, on the
        first position marked there (where it joined; that position is not recorded). Returns
        the recorded positions, each walker's exit and join position (-1 if none).
        """
        count = starts.shape[0]
        exits = np.empty(count, dtype=self.index)
        joined = np.full(count, -1, dtype=self.index)
        ids = np.arange(count, dtype=np.int64)
        pos, lim = starts, limits
        recorded: list[np.ndarray] = []
        # An entry can already lie past a short last block when the previous token reaches it.
        done = pos >= lim
        while pos.size > _TAIL_WALKERS:
            if done.any():
                exits[ids[done]] = pos[done]
                keep = ~done
                pos, ids, lim = pos[keep], ids[keep], lim[keep]
            if stop is not None:
                hit = stop[pos]
                if hit.any():
                    joined[ids[hit]] = pos[hit]
                    keep = ~hit
                    pos, ids, lim = pos[keep], ids[keep], lim[keep]
            recorded.append(pos)
            pos = pos + self.steps[self.data[pos]]
            done = pos >= lim
        if pos.size:
            recorded.append(self._tail(pos, lim, ids, stop, exits, joined))
        return np.concatenate(recorded), exits, joined

    def _tail(
        self,
        pos: np.ndarray,
        lim: np.ndarray,
        ids: np.ndarray,
        stop: np.ndarray | None,
        exits: np.ndarray,
        joined: np.ndarray,
    ) -> np.ndarray:
        """Finish the last few walkers one token at a time."""
        data = self.data.data  # a memoryview, whose indexing is ~2x faster than numpy's
        steps = _STEPS
        recorded: list[int] = []
        for p, end, walker in zip(pos.tolist(), lim.tolist(), ids.tolist(), strict=True):
            while p < end:
                if stop is not None and stop[p]:
                    joined[walker] = p
                    break
                recorded.append(p)
                p += steps[data[p]]
            else:
                exits[walker] = p
        return np.array(recorded, dtype=self.index)

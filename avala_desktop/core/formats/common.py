"""What every format shares: errors, progress and cancel, which annotations leave, atomic writes.

Which annotations an export writes: accepted and edited ones, and anything a person drew; a
rejected annotation never; a pending suggestion only with ``include_pending``.

Writes are atomic: each file is written to a temporary file in its own folder, flushed to
disk (fsync) and renamed over the final name (``os.replace``), so a reader sees either the old
file, no file, or the complete new one, never a half-written file under the final name. The
cancel flag is checked once more just before the rename.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from avala_desktop.core.store import AnnotationRecord, ProjectStore, ReviewState
from avala_desktop.core.store.records import Origin

TMP_PREFIX = ".avala-tmp-"


class FormatError(Exception):
    """An import or export that cannot be carried out; ``message`` says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OperationCancelled(FormatError):
    """The user cancelled; files already finished stay, nothing half-written does."""


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """One bad record of an import: the file, the record in it, and why."""

    file: str
    record: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.reason}"


# How many problems an import error message lists before it says "and N more".
PROBLEMS_SHOWN = 10


class ImportInvalid(FormatError):
    """The input has bad records; nothing was imported."""

    def __init__(self, problems: list[RecordProblem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [str(p) for p in problems[:PROBLEMS_SHOWN]]
        if len(problems) > PROBLEMS_SHOWN:
            lines.append(f"... and {len(problems) - PROBLEMS_SHOWN} more")
        super().__init__(
            f"The import has {len(problems)} {noun}, so nothing was imported; fix the input "
            "and import again:\n  " + "\n  ".join(lines)
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a job is: ``done`` of ``total`` steps, and what it is doing now."""

    done: int
    total: int
    message: str


ProgressFn = Callable[[Progress], None]


class CancelFlag(Protocol):
    """Anything with ``is_set()``, e.g. a ``threading.Event``."""

    def is_set(self) -> bool: ...


def check_cancel(cancel: CancelFlag | None) -> None:
    if cancel is not None and cancel.is_set():
        raise OperationCancelled("Cancelled.")


# -- which annotations leave -----------------------------------------------------------------

_FINAL_STATES = (ReviewState.ACCEPTED, ReviewState.EDITED)


def is_exported(record: AnnotationRecord, *, include_pending: bool) -> bool:
    """Accepted, edited and human-drawn; rejected never; pending only when asked for."""
    if record.state is ReviewState.REJECTED:
        return False
    if record.state in _FINAL_STATES or record.origin is Origin.HUMAN:
        return True
    return include_pending


def exported_annotations(
    store: ProjectStore, asset_id: str, *, include_pending: bool
) -> list[AnnotationRecord]:
    records = store.annotations(
        asset_id, states=[ReviewState.ACCEPTED, ReviewState.EDITED, ReviewState.PENDING]
    )
    return [r for r in records if is_exported(r, include_pending=include_pending)]


# -- atomic writes -----------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; Windows cannot open a folder, and needs no such step.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, *, cancel: CancelFlag | None = None) -> Iterator[BinaryIO]:
    """Open a temporary file next to ``path``; on a clean exit it becomes ``path``.

    On an exception (or a cancel seen before the rename) the temporary file is removed and
    ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_PREFIX}{secrets.token_hex(6)}-{path.name}"
    try:
        with open(tmp, "xb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        check_cancel(cancel)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_bytes_atomic(path: Path, data: bytes, *, cancel: CancelFlag | None = None) -> None:
    with atomic_file(path, cancel=cancel) as fh:
        fh.write(data)


def write_text_atomic(path: Path, text: str, *, cancel: CancelFlag | None = None) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), cancel=cancel)


def write_json_atomic(
    path: Path, value: Any, *, cancel: CancelFlag | None = None, indent: int | None = 1
) -> None:
    # allow_nan=False: NaN is not JSON, and no reader of these formats would accept it.
    separators = (",", ":") if indent is None else None
    text = json.dumps(
        value, indent=indent, separators=separators, ensure_ascii=False, allow_nan=False
    )
    write_text_atomic(path, text + "\n", cancel=cancel)


def link_or_copy_atomic(src: Path, dst: Path, *, cancel: CancelFlag | None = None) -> bool:
    """Put ``src``'s content at ``dst`` (a hard link when the filesystem allows, else a copy).

    Returns True when it linked. Either way ``dst`` appears whole or not at all.
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.parent / f"{TMP_PREFIX}{secrets.token_hex(6)}-{dst.name}"
    try:
        try:
            os.link(src, tmp)
            linked = True
        except OSError:
            with open(src, "rb") as source, atomic_file(dst, cancel=cancel) as target:
                shutil.copyfileobj(source, target, 1 << 20)
            return False
        check_cancel(cancel)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return linked


def leftover_temp_files(root: Path) -> Iterable[Path]:
    """Temporary files of an interrupted write under ``root`` (a crash can leave them)."""
    return (p for p in root.rglob(f"{TMP_PREFIX}*") if p.is_file())


def load_json_file(path: Path) -> Any:
    """A JSON file's content; a file that is not UTF-8 JSON is a FormatError naming it."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 JSON"
        ) from exc
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise FormatError(f"{path}: nests arrays or objects too deeply to be read") from exc


def number_text(value: float) -> str:
    """A number as these text formats write it: integral values without a decimal point,
    others with the shortest repr that reads back to the same float."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))

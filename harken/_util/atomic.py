"""Atomic file writes: a file is either its old self or completely new, never half written.

Every writer in harken goes through ``atomic_path``: it hands out a temporary name in the target's
folder (same file system, so the final ``os.replace`` is atomic) and removes it if writing fails or
is interrupted. What happens depends on what the target is:

- nothing yet, or a regular file: the temp file is renamed onto it. A replaced file keeps its mode
  (and, where allowed, its owner); a new file gets ``0666`` less the umask, like any program's output.
- a symlink: written through: the file it points to is replaced and the link stays (a dangling
  link's target is created). A symlink loop is refused.
- a character device or a FIFO (``/dev/null``, ``/dev/stdout``, a named pipe, bash's ``>(cmd)``):
  the output is made whole in the temp folder first, then copied into it; it is never renamed over.
  Opening a FIFO waits for a reader, as ``cat > fifo`` does.
- a folder, a block device (a disk) or a socket: refused with a one-line ``HarkenError`` before
  anything is written.

Errors of the writing itself (a full disk, a read-only folder) stay ``OSError``: callers name them.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harken.errors import HarkenError

_STREAM, _FILE = "stream", "file"
_NOT_FILES = (
    (stat.S_ISDIR, "is a folder"),
    (stat.S_ISBLK, "is a block device (a disk)"),
    (stat.S_ISSOCK, "is a socket"),
)


def _refuse(path: Path, what: str) -> HarkenError:
    return HarkenError(f"{path}: {what}, not a regular file; harken will not write over it: give a file path")


def _resolve_target(path: Path) -> tuple[Path, str, os.stat_result | None]:
    """Where to write ``path`` and how: (path to use, ``"file"`` or ``"stream"``, its stat or None)."""
    try:
        st = os.stat(path)  # follows symlinks, /proc's fd links included
    except FileNotFoundError:
        return Path(os.path.realpath(path)), _FILE, None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise HarkenError(f"{path}: a symlink loop; point the link at a file, or give another path") from None
        raise
    if stat.S_ISREG(st.st_mode):
        return Path(os.path.realpath(path)), _FILE, st
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return path, _STREAM, st
    what = next((text for test, text in _NOT_FILES if test(st.st_mode)), "is a special file")
    raise _refuse(path, what)


def check_output_path(path: str | os.PathLike) -> Path:
    """Raise ``HarkenError`` now when ``path`` can never be written (a folder, a disk, a socket, a loop).

    Returns the path a write will replace (a symlink's target). Commands call it before long work.
    """
    return _resolve_target(Path(path))[0]


def _new_temp(folder: Path, name: str, suffix: str) -> tuple[Path, int]:
    """Create an empty temp file with mode 0666 less the umask; return it and that mode."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(4)}{suffix}"
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        try:
            return tmp, stat.S_IMODE(os.fstat(fd).st_mode)
        finally:
            os.close(fd)
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def temp_folder(parent: str | os.PathLike, prefix: str) -> Path:
    """Create a new folder ``parent/PREFIXrandom`` with mode 0777 less the umask (not mkdtemp's 0700)."""
    for _ in range(100):
        folder = Path(parent) / f"{prefix}{secrets.token_hex(4)}"
        try:
            os.mkdir(folder, 0o777)
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(parent))


def _rename_onto(tmp: Path, target: Path, shown: Path, mode: int) -> None:
    """Give ``tmp`` the mode (and owner) of the file it replaces, then rename it onto ``target``."""
    try:
        now = os.lstat(target)
    except FileNotFoundError:
        now = None
    if now is not None and not stat.S_ISREG(now.st_mode):  # it changed while we wrote
        raise _refuse(shown, "became something else while harken wrote it")
    os.chmod(tmp, stat.S_IMODE(now.st_mode) if now is not None else mode)
    mine = os.stat(tmp)
    if now is not None and (now.st_uid, now.st_gid) != (mine.st_uid, mine.st_gid) and hasattr(os, "chown"):
        try:
            os.chown(tmp, now.st_uid, now.st_gid)
        except OSError:
            pass  # only root may give a file away; the content matters more than the owner
    os.replace(tmp, target)


def _copy_into(tmp: Path, target: Path) -> None:
    """Copy the finished ``tmp`` into a device or FIFO (opened without O_CREAT: never made a file)."""
    with open(tmp, "rb") as src, os.fdopen(os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)), "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


@contextmanager
def atomic_path(
    path: str | os.PathLike, *, suffix: str = ".tmp", mode: int | None = None
) -> Iterator[Path]:
    """Yield a temporary path; when the block succeeds, put its content at ``path`` (see the module doc).

    ``suffix`` matters for writers that pick the format from the name (e.g. ``.npz``). ``mode``: the
    permissions of a new file (default 0666 less the umask); a replaced file always keeps its own.

    Raises
    ------
    HarkenError
        ``path`` is a folder, a block device, a socket or a symlink loop (nothing is written).
    """
    shown = Path(path)
    target, how, _ = _resolve_target(shown)
    folder = Path(tempfile.gettempdir()) if how == _STREAM else target.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp, new_mode = _new_temp(folder, target.name, suffix)
    try:
        yield tmp
        if how == _STREAM:
            _copy_into(tmp, target)
        else:
            _rename_onto(tmp, target, shown, new_mode if mode is None else mode)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes to ``path`` atomically (flushed to disk before the rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 text to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: str | os.PathLike, data: Any, *, indent: int | None = None) -> None:
    """Write ``data`` as JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(data, indent=indent) + ("\n" if indent is not None else ""))


def copy_file_atomic(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Copy ``src`` to ``dst`` with its mode and times, atomically: a backup is whole or absent."""
    with atomic_path(dst, mode=stat.S_IMODE(os.stat(src).st_mode)) as tmp:
        shutil.copyfile(src, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        shutil.copystat(src, tmp)

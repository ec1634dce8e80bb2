"""Scan a dataset folder: check every file of every sub-folder, and cache each file's result.

In: a root folder. Out: ``{folder: [[file_name, num_frames, sample_rate_hz, num_channels, reason], ...]}``
(``reason`` None for a usable file; see ``harken.datasets.filecheck``).

The cache is a JSON file under ``$HARKEN_HOME/cache/scans/``, named after the root path and the
check level. Each file's result is keyed on the file's own size, mtime_ns, ctime_ns and inode, read
with one ``stat`` per file on every scan: a file rewritten in place, even with its old size and
timestamp put back, is checked again (its ctime moved), and only the files that changed are. A
file that cannot be stat'ed (a broken link, a symlink loop) is never cached. The cache is written
atomically, only when something changed, and an unreadable cache is ignored. Hidden files and
folders, and folders nested in class folders, are skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from harken._util.atomic import write_json_atomic
from harken._util.paths import cache_dir
from harken.datasets.filecheck import AUDIO_EXTENSIONS, check_audio_file
from harken.errors import DatasetError

log = logging.getLogger(__name__)

_CACHE_VERSION = 2
_NOT_AUDIO = "not a .wav or .flac file"


def _is_dir(entry: os.DirEntry) -> bool:
    """``entry.is_dir()``, False for an entry that cannot be followed (a symlink loop raises)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _file_key(entry: os.DirEntry) -> str | None:
    """What identifies this version of the file (the link's target for a symlink); None when unknown."""
    try:
        st = entry.stat()
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _class_folders(root: Path) -> list[str]:
    return sorted(e.name for e in os.scandir(root) if not e.name.startswith(".") and _is_dir(e))


def _cache_file(root: Path, check: str) -> Path:
    key = hashlib.sha1(f"{root}\0{check}".encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return cache_dir() / "scans" / f"{key}.json"


def _cached_lists(cached: object) -> tuple[list, list, list]:
    """A folder's cached (names, keys, rows), or empty lists when the entry is malformed."""
    if isinstance(cached, dict):
        names, keys, rows = cached.get("names"), cached.get("keys"), cached.get("rows")
        if isinstance(names, list) and isinstance(keys, list) and isinstance(rows, list):
            if len(names) == len(keys) == len(rows) and all(isinstance(r, list) and len(r) == 5 for r in rows):
                return names, keys, rows
    return [], [], []


def _scan_folder(folder: Path, check: str, cached: object) -> tuple[dict[str, list], int]:
    """The folder's ``{"names", "keys", "rows"}`` and how many files were checked (the others reused)."""
    names, keys = [], []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if _is_dir(entry):
            log.debug("%s: skipping nested folder", entry.path)
            continue
        names.append(entry.name)
        keys.append(_file_key(entry) if entry.name.lower().endswith(AUDIO_EXTENSIONS) else "-")
    old_names, old_keys, old_rows = _cached_lists(cached)
    if names == old_names and keys == old_keys and None not in keys:
        return {"names": names, "keys": keys, "rows": old_rows}, 0
    old = {name: (key, row) for name, key, row in zip(old_names, old_keys, old_rows)}
    rows, checked = [], 0
    for name, key in zip(names, keys):
        hit = old.get(name)
        if key == "-":
            rows.append([name, 0, 0, 0, _NOT_AUDIO])
        elif key is not None and hit is not None and hit[0] == key:
            rows.append(hit[1])
        else:
            result = check_audio_file(folder / name, check=check)
            rows.append([name, result.num_frames, result.sample_rate_hz, result.num_channels, result.reason])
            checked += 1
    return {"names": names, "keys": keys, "rows": rows}, checked


def _read_cache(cache_path: Path, root: Path) -> dict[str, dict]:
    """The cached ``{folder: {"names", "keys", "rows"}}``, or {} when absent, of another format, or unreadable."""
    if not cache_path.is_file():
        return {}
    try:
        cached = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.info("%s: ignoring unreadable scan cache (%s)", cache_path, exc)
        return {}
    if not isinstance(cached, dict) or cached.get("version") != _CACHE_VERSION or cached.get("root") != str(root):
        return {}
    folders = cached.get("folders")
    return folders if isinstance(folders, dict) else {}


def scan_folders(root: str | os.PathLike, *, check: str = "header", use_cache: bool = True) -> dict[str, list[list]]:
    """Check every file of every sub-folder of ``root`` (each file's result cached on its size and times).

    Returns ``{folder: [[file_name, num_frames, sample_rate_hz, num_channels, reason_or_None], ...]}``.
    """
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder; give the dataset's root folder (the one holding class folders)")
    cache_path = _cache_file(root, check)
    cached = _read_cache(cache_path, root) if use_cache else {}
    scanned, checked = {}, 0
    for name in _class_folders(root):
        scanned[name], count = _scan_folder(root / name, check, cached.get(name))
        checked += count
    log.debug("%s: %d file(s) checked, the others taken from the scan cache", root, checked)
    if use_cache and (checked or scanned != cached):
        try:
            write_json_atomic(cache_path, {"version": _CACHE_VERSION, "root": str(root), "check": check,
                                           "folders": scanned})  # fmt: skip
        except OSError as exc:
            log.warning("%s: cannot write the scan cache (%s); the next scan will redo the work", cache_path, exc)
    return {name: folder["rows"] for name, folder in scanned.items()}

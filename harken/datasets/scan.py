"""Scan a dataset folder: check every file of every sub-folder, and cache the result.

In: a root folder. Out: ``{folder: [[file_name, num_frames, sample_rate_hz, num_channels, reason], ...]}``
(``reason`` None for a usable file; see ``harken.datasets.filecheck``).

The cache is a JSON file under ``$HARKEN_HOME/cache/scans/``, named after the root path and the
check level, and keyed by the mtime/size of the root and of each sub-folder: adding, removing or
renaming a file invalidates it; rewriting a file in place does not (pass ``use_cache=False``). It
is written atomically (temp file, then ``os.replace``) and an unreadable cache is ignored.
Hidden files and folders, and folders nested in class folders, are skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from harken._util.atomic import write_json_atomic
from harken.datasets.filecheck import AUDIO_EXTENSIONS, check_audio_file
from harken.errors import DatasetError
from harken._util.paths import cache_dir

log = logging.getLogger(__name__)

_CACHE_VERSION = 1


def _fingerprint(root: Path) -> dict:
    stat = root.stat()
    folders = {}
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if os.path.isdir(entry.path) and not entry.name.startswith("."):  # isdir: False on a symlink loop
            st = entry.stat()
            folders[entry.name] = [st.st_mtime_ns, st.st_size]
    return {"root": [stat.st_mtime_ns, stat.st_size], "folders": folders}


def _cache_file(root: Path, check: str) -> Path:
    key = hashlib.sha1(f"{root}\0{check}".encode()).hexdigest()[:20]
    return cache_dir() / "scans" / f"{key}.json"


def _scan_folder(folder: Path, check: str) -> list[list]:
    rows = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if os.path.isdir(entry.path):  # DirEntry.is_dir raises on a symlink loop; isdir says False
            log.debug("%s: skipping nested folder", entry.path)
            continue
        if os.path.splitext(entry.name)[1].lower() not in AUDIO_EXTENSIONS:
            rows.append([entry.name, 0, 0, 0, "not a .wav or .flac file"])
            continue
        result = check_audio_file(entry.path, check=check)
        rows.append([entry.name, result.num_frames, result.sample_rate_hz, result.num_channels, result.reason])
    return rows


def scan_folders(root: str | os.PathLike, *, check: str = "header", use_cache: bool = True) -> dict[str, list[list]]:
    """Check every file of every sub-folder of ``root`` (cached).

    Returns ``{folder: [[file_name, num_frames, sample_rate_hz, num_channels, reason_or_None], ...]}``.
    """
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder; give the dataset's root folder (the one holding class folders)")
    fingerprint = _fingerprint(root)
    cache_path = _cache_file(root, check)
    if use_cache and cache_path.is_file():
        try:
            cached = json.loads(cache_path.read_text(encoding="utf-8"))
            if cached.get("version") == _CACHE_VERSION and cached.get("fingerprint") == fingerprint:
                log.debug("%s: using cached scan %s", root, cache_path)
                return cached["folders"]
        except (OSError, ValueError) as exc:
            log.info("%s: ignoring unreadable scan cache (%s)", cache_path, exc)
    folders = {name: _scan_folder(root / name, check) for name in fingerprint["folders"]}
    if use_cache:
        try:
            data = {"version": _CACHE_VERSION, "root": str(root), "check": check, "fingerprint": fingerprint}
            write_json_atomic(cache_path, {**data, "folders": folders})
        except OSError as exc:
            log.warning("%s: cannot write the scan cache (%s); the next scan will redo the work", cache_path, exc)
    return folders

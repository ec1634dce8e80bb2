"""The model archive ``NAME.harken.zip``: everything about one trained model in one file.

In: a spec and its work directory after training. Out: a zip beside the spec file (or in the work
directory for built-in specs) holding the spec file, ``NAME.keras``, ``NAME.tflite`` (int8),
``NAME.float32.tflite``, ``summary.txt``, ``summary_tflite.txt``, ``history.json``,
``history.png``, ``validation_results.json`` and ``spec.json`` (the settings as plain data).
Written to a temporary file in the same folder and renamed, so a crash never leaves half an
archive; the writer holds that file locked, so that a later write can tell (and remove) the
temporary file of a writer that was killed. It does not train or convert anything.
"""

from __future__ import annotations

import glob
import json
import os
import re
import zipfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from harken._util.atomic import atomic_path
from harken.errors import ModelFileError
from harken.spec.model_spec import ModelSpec

SPEC_FILE = "spec.json"
TEMP_SUFFIX = ".zip"  # the temporary file's: ``.NAME.harken.zip.XXXXXXXX.zip``

WORK_FILES = ("{name}.keras", "{name}.tflite", "{name}.float32.tflite", "summary.txt", "summary_tflite.txt",
              "history.json", "history.png", "validation_results.json")


def write_archive(spec: ModelSpec, work_dir: str | os.PathLike | None = None,
                  path: str | os.PathLike | None = None) -> Path:
    """Write the archive (default :meth:`ModelSpec.archive_path`) and return its path.

    Files missing from the work directory are left out, except the int8 ``NAME.tflite``.

    Raises
    ------
    ModelFileError
        When the work directory has no int8 model (train or quantize first).
    """
    folder = Path(work_dir) if work_dir is not None else spec.work_dir()
    target = Path(path) if path is not None else spec.archive_path()
    if not (folder / f"{spec.name}.tflite").is_file():
        raise ModelFileError(f"{folder}: no {spec.name}.tflite to archive; run 'harken train {spec.name}' first")
    remove_stale_temp_files(target)
    locked = None
    try:
        with atomic_path(target, suffix=TEMP_SUFFIX) as tmp:
            locked = open(tmp, "wb")  # noqa: SIM115 - held open (and locked) until the temporary file is renamed
            _lock(locked)
            with zipfile.ZipFile(locked, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                if spec.source_path and Path(spec.source_path).is_file():
                    archive.write(spec.source_path, f"{spec.name}.py")
                archive.writestr(SPEC_FILE, spec_json(spec))
                for pattern in WORK_FILES:
                    name = pattern.format(name=spec.name)
                    if (folder / name).is_file():
                        archive.write(folder / name, name)
            locked.flush()
            os.fsync(locked.fileno())
            if fcntl is None:  # Windows renames no open file; there an open file is its own guard
                locked.close()
    finally:
        if locked is not None:
            locked.close()
    return target


def remove_stale_temp_files(target: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of earlier writes of ``target`` whose writer died (killed mid-write).

    Only files named as :func:`harken._util.atomic.atomic_path` names them for this archive, and
    only those no live writer holds locked (a writer locks its file until the rename).
    """
    target = Path(target)
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}")
    removed = []
    for path in target.parent.glob(f".{glob.escape(target.name)}.*{TEMP_SUFFIX}"):
        if not pattern.fullmatch(path.name) or not path.is_file() or path.is_symlink():
            continue
        try:
            with open(path, "rb") as f:
                _lock(f)  # fails while its writer lives
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _lock(f) -> None:
    """An exclusive lock on open file ``f`` without waiting (OSError if held); the OS drops it when the holder dies.

    Without ``fcntl`` (Windows) a file open in another process cannot be removed anyway.
    """
    if fcntl is not None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def archive_names(path: str | os.PathLike) -> list[str]:
    """The names of the files inside an archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: not a readable harken archive ({exc})") from None


def read_archive_file(path: str | os.PathLike, name: str) -> bytes:
    """One file of an archive, e.g. ``NAME.tflite``."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(name)
    except KeyError:
        raise ModelFileError(f"{path}: no {name!r} in the archive; it holds {', '.join(archive_names(path))}") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: not a readable harken archive ({exc})") from None


def spec_json(spec: ModelSpec) -> str:
    """The settings of ``spec`` as the archive's ``spec.json`` holds them (functions as their names)."""
    return json.dumps(spec.to_dict(), indent=1, default=str)


def read_archived_spec(path: str | os.PathLike) -> dict:
    """The ``spec.json`` of an archive: the settings its model was trained with, as plain data."""
    try:
        return json.loads(read_archive_file(path, SPEC_FILE))
    except ValueError as exc:
        raise ModelFileError(f"{path}: {SPEC_FILE} is not valid JSON ({exc})") from None

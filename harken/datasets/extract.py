"""Extract a downloaded archive atomically, safely, and never over what harken did not make.

In: an archive file and a target folder. Out: the target, holding the archive's members and a
completion marker, or unchanged.

- Atomic: into ``.TARGET.extract-PID-XXXX`` beside the target (marked as harken's by
  ``.harken-extracting``), a completion marker (``.harken-complete``, naming the archive) is written
  last, then the folder is renamed into place. A folder without the marker is never taken as done;
  marked leftovers of dead processes are removed on the next try.
- Never deletes what harken did not make: the target may be absent, an empty folder, or harken's
  own extraction of the same archive; anything else (a folder holding other files, the extraction
  of another archive, a file) is refused with a ``DatasetError`` saying what to do.
- Safe: a tar or zip member with an absolute path, a ``..`` component, a link or a device file is
  refused (``DatasetError``) before it is written; the temp folder is then removed, so nothing of the
  archive stays. A tar is read in one pass (checked member by member), so a 2 GB .tar.gz is
  decompressed once.
- Progress: a rich bar on stderr; ``quiet=True`` turns it off.
"""

from __future__ import annotations

import errno
import json
import logging
import lzma
import os
import re
import shutil
import tarfile
import time
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from harken._util.atomic import temp_folder
from harken.datasets.download import progress_bar
from harken.errors import DatasetError

log = logging.getLogger(__name__)

COMPLETE_MARKER = ".harken-complete"
EXTRACTING_MARKER = ".harken-extracting"
_MARKER_FORMAT = 2  # markers before it did not say which archive they came from


def _check_member_path(archive: Path, name: str) -> None:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
        raise DatasetError(
            f"{archive}: member {name!r} would be written outside the target folder; not extracting this archive "
            "(check where it came from)"
        )


def _check_tar_member(archive: Path, member: tarfile.TarInfo) -> None:
    _check_member_path(archive, member.name)
    if member.issym() or member.islnk() or member.isdev() or member.isfifo():
        raise DatasetError(f"{archive}: member {member.name!r} is a link or device file; not extracting it")


def _extract_tar(archive: Path, into: Path, *, quiet: bool) -> None:
    size = archive.stat().st_size
    bar_context = progress_bar(quiet, speed=False)
    with open(archive, "rb") as raw, tarfile.open(fileobj=raw, mode="r:*") as tar, bar_context as bar:
        task = bar.add_task(f"extract {archive.name}", total=size)
        for member in tar:  # one pass: check, then extract, member by member
            _check_tar_member(archive, member)
            tar.extract(member, into, filter="data")
            bar.update(task, completed=raw.tell())
        while tar.fileobj.read(1 << 20):  # to the end: gzip, bz2 and xz check their CRC only there
            pass


def _extract_zip(archive: Path, into: Path, *, quiet: bool) -> None:
    with zipfile.ZipFile(archive) as zf, progress_bar(quiet, speed=False) as bar:
        infos = zf.infolist()
        for info in infos:
            _check_member_path(archive, info.filename)
        task = bar.add_task(f"extract {archive.name}", total=sum(i.compress_size for i in infos))
        for info in infos:
            zf.extract(info, into)
            bar.advance(task, info.compress_size)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_extractions(target: Path) -> None:
    """Remove ``.TARGET.extract-PID-*`` folders of dead processes that harken marked as its own."""
    prefix = f".{target.name}.extract-"
    for leftover in target.parent.glob(prefix + "*"):
        pid = leftover.name[len(prefix) :].split("-", 1)[0]
        if not (leftover / EXTRACTING_MARKER).is_file() or not pid.isdigit():
            continue
        if int(pid) == os.getpid() or not _pid_alive(int(pid)):
            log.info("removing the leftover of an interrupted extraction: %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def _marker(target: Path) -> dict | None:
    """The completion marker of ``target`` ({} when unreadable), or None when there is none."""
    path = target / COMPLETE_MARKER
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def _same_archive(marker: dict, archive_name: str | None) -> bool:
    """Whether a marker names ``archive_name`` (markers older than the format cannot tell: taken as yes)."""
    return archive_name is None or marker.get("format") != _MARKER_FORMAT or marker.get("archive") == archive_name


def is_extracted(target: str | os.PathLike, archive_name: str | None = None) -> bool:
    """True only when ``target`` holds the completion marker (of ``archive_name``, when given)."""
    marker = _marker(Path(target))
    return marker is not None and _same_archive(marker, archive_name)


def check_extraction_target(target: str | os.PathLike, archive_name: str) -> None:
    """Raise ``DatasetError`` unless extracting ``archive_name`` into ``target`` would delete nothing.

    Fine: no ``target``, an empty folder, or a complete extraction of the same archive.
    """
    target = Path(target)
    if not os.path.exists(target):  # nothing there, or a dangling link: its target is created
        return
    if not target.is_dir():
        raise DatasetError(f"{target}: is a file, not a folder; give --dest a folder to extract the dataset into")
    marker = _marker(target)
    if marker is not None:
        if not _same_archive(marker, archive_name):
            raise DatasetError(
                f"{target}: holds the dataset extracted from {marker.get('archive')}, not from {archive_name}; "
                f"give --dest another folder, or delete {target} to replace it"
            )
        return
    entries = sorted(os.listdir(target))
    if entries:
        raise DatasetError(
            f"{target}: the folder holds {len(entries)} item(s) harken did not put there (such as {entries[0]!r}) "
            "and harken never deletes what it did not make; give --dest a new or empty folder"
        )


def extract_archive(archive: str | os.PathLike, target: str | os.PathLike, *, quiet: bool = False) -> Path:
    """Extract a .tar(.gz/.bz2/.xz) or .zip into ``target`` atomically; return ``target``.

    Does nothing when ``target`` already holds this archive's complete extraction. ``target`` may be
    absent or an empty folder; anything else is refused (see ``check_extraction_target``), so
    nothing harken did not make is ever deleted. ``quiet`` turns the progress bar off.

    Raises
    ------
    DatasetError
        The target holds something else, or the archive is not a tar or zip, is corrupt, or holds
        an unsafe member.
    """
    archive, shown = Path(archive), Path(target)
    if is_extracted(shown, archive.name):
        return shown
    check_extraction_target(shown, archive.name)
    target = Path(os.path.realpath(shown))  # a --dest symlink: extract beside the folder it names
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_extractions(target)
        tmp = temp_folder(target.parent, f".{target.name}.extract-{os.getpid()}-")
    except OSError as exc:
        raise DatasetError(f"{shown}: cannot create a folder there ({exc.strerror or exc}); "
                           "give --dest a folder you can write to") from None
    try:
        (tmp / EXTRACTING_MARKER).write_text(f"{os.getpid()}\n", encoding="utf-8")
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, tmp, quiet=quiet)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, tmp, quiet=quiet)
        else:
            raise DatasetError(f"{archive}: not a tar or zip archive; delete it and download again")
        marker = {"format": _MARKER_FORMAT, "archive": archive.name,
                  "extracted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
        (tmp / COMPLETE_MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
        (tmp / EXTRACTING_MARKER).unlink()
        _move_into_place(tmp, target, shown, archive.name)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DatasetError(f"{archive}: corrupt archive ({exc}); delete it and download again") from None
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno is None:  # gzip and bz2 say "not a valid stream" with a plain OSError
            raise DatasetError(f"{archive}: corrupt archive ({exc}); delete it and download again") from None
        raise DatasetError(f"{shown}: extracting {archive.name} failed ({exc.strerror}); nothing was kept: "
                           "free some space (or give --dest a folder you can write to) and run again") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("%s: extracted into %s", archive, shown)
    return shown


def _move_into_place(tmp: Path, target: Path, shown: Path, archive_name: str) -> None:
    """Rename the finished ``tmp`` onto ``target`` (absent or an empty folder; never anything else)."""
    try:
        os.replace(tmp, target)  # rename(2) replaces only an empty folder
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise
        check_extraction_target(shown, archive_name)  # what changed meanwhile: say it in its words
        raise DatasetError(f"{shown}: changed while the archive was extracted; run the command again") from None

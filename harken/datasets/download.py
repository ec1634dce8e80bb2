"""Download an archive once, verify it, and extract it atomically.

In: a URL and the expected hash (or none). Out: a verified archive file, and a folder extracted from
it that is either complete or absent.

- Resumable: the transfer goes to ``NAME.part``, which is kept after an interruption; the next try
  sends ``Range: bytes=N-`` and appends on ``206 Partial Content``, or starts over when the server
  ignores the range and answers ``200``. Within one call, a cut transfer is retried
  (``max_attempts``) from where it stopped.
- Verified: ``"sha1:HEX"`` / ``"sha256:HEX"`` (a bare hex digest is read by its length). On a mismatch
  the file is deleted and downloaded once more from scratch; a second mismatch raises
  ``DatasetError`` and keeps nothing. With no hash known, the sha256 of the first download is
  recorded in ``NAME.sha256`` beside the archive and later downloads are checked against it.
- Extracted atomically: into ``.TARGET.extract-PID-XXXX`` beside the target, a completion marker
  (``.harken-complete``) is written last, then the folder is renamed into place. A folder without
  the marker is never taken as done; leftovers of dead processes are removed on the next try.
- Safe: a tar or zip member with an absolute path, a ``..`` component, a link or a device file is
  refused (``DatasetError``) before it is written; the temp folder is then removed, so nothing of the
  archive stays. A tar is read in one pass (checked member by member), so a 2 GB .tar.gz is
  decompressed once.
- Progress: a rich bar on stderr for the transfer and the extraction; ``quiet=True`` turns it off.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from harken.errors import DatasetError

log = logging.getLogger(__name__)

COMPLETE_MARKER = ".harken-complete"
USER_AGENT = "harken/0.1 (python urllib)"
_CHUNK_BYTES = 1 << 20
_ALGORITHMS = {40: "sha1", 64: "sha256", 32: "md5"}


def parse_hash(text: str) -> tuple[str, str]:
    """``"sha256:ab12..."`` -> ``("sha256", "ab12...")``; a bare digest is read by its length.

    Examples
    --------
    >>> parse_hash("4264eb9753e38eef2ec1d15dfac8441f09751ca9")
    ('sha1', '4264eb9753e38eef2ec1d15dfac8441f09751ca9')
    """
    algorithm, _, digest = text.strip().lower().rpartition(":")
    digest = digest.strip()
    if not algorithm:
        algorithm = _ALGORITHMS.get(len(digest), "")
    if algorithm not in ("sha1", "sha256", "md5") or not re.fullmatch(r"[0-9a-f]+", digest or "-"):
        raise DatasetError(f"hash {text!r} is not understood; write it as sha256:HEX or sha1:HEX")
    num_digits = hashlib.new(algorithm).digest_size * 2
    if len(digest) != num_digits:
        raise DatasetError(f"hash {text!r}: a {algorithm} digest has {num_digits} hex digits")
    return algorithm, digest


def file_hash(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def _progress(quiet: bool, *, speed: bool = True):
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn()]
    if speed:
        columns.append(TransferSpeedColumn())
    return Progress(*columns, console=Console(stderr=True), disable=quiet, transient=True)


class _Retry(Exception):
    """A transfer that stopped early and can be resumed."""


def _content_range_start(value: str | None) -> tuple[int | None, int | None]:
    match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", value or "")
    if not match:
        return None, None
    total = None if match.group(2) == "*" else int(match.group(2))
    return int(match.group(1)), total


def _transfer_once(url: str, part: Path, *, timeout_s: float, quiet: bool) -> None:
    """One HTTP request: resume ``part`` if it has bytes, else start it. Raises ``_Retry`` on a cut."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            _, total = _content_range_start(exc.headers.get("Content-Range", "").replace("bytes */", "bytes 0-0/"))
            if total == have:
                log.info("%s: already complete (%d bytes)", part, have)
                return
            log.info("%s: the server refused to resume at byte %d; starting over", url, have)
            part.unlink()
            raise _Retry("range not satisfiable") from None
        retryable = exc.code >= 500 or exc.code in (408, 429)
        if not retryable:
            raise DatasetError(f"{url}: the server answered HTTP {exc.code} {exc.reason}; check the URL") from None
        raise _Retry(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _Retry(str(getattr(exc, "reason", exc))) from None
    with response:
        length = response.headers.get("Content-Length")
        expected = int(length) if length is not None and length.isdigit() else None
        if have and response.status == 206:
            start, total = _content_range_start(response.headers.get("Content-Range"))
            if start != have:
                part.unlink()
                raise _Retry(f"server resumed at byte {start}, not {have}")
            mode, done = "ab", have
            total = total if total is not None else (have + expected if expected is not None else None)
        else:
            if have:
                log.info("%s: the server ignored the range request; downloading from the start", url)
            mode, done, total = "wb", 0, expected
        with _progress(quiet) as bar, open(part, mode) as fh:
            task = bar.add_task(f"download {part.name[:-5]}", total=total, completed=done)
            while True:
                try:
                    block = response.read(_CHUNK_BYTES)
                except (OSError, http.client.HTTPException) as exc:
                    raise _Retry(f"transfer cut at byte {done} ({type(exc).__name__})") from None
                if not block:
                    break
                fh.write(block)
                done += len(block)
                bar.update(task, completed=done)
    if total is not None and done < total:
        raise _Retry(f"transfer cut at byte {done} of {total}")


def _fetch(url: str, part: Path, *, timeout_s: float, max_attempts: int, retry_wait_s: float, quiet: bool) -> None:
    for attempt in range(1, max_attempts + 1):
        try:
            _transfer_once(url, part, timeout_s=timeout_s, quiet=quiet)
            return
        except _Retry as exc:
            have = part.stat().st_size if part.exists() else 0
            log.warning(
                "%s: attempt %d/%d stopped (%s); %d bytes kept in %s", url, attempt, max_attempts, exc, have, part
            )
            if attempt == max_attempts:
                raise DatasetError(
                    f"{url}: download failed after {max_attempts} attempts ({exc}); the partial file {part} is kept: "
                    "run the same command again to resume"
                ) from None
            time.sleep(retry_wait_s * attempt)


def download_file(
    url: str,
    dest: str | os.PathLike,
    *,
    expected_hash: str | None = None,
    quiet: bool = False,
    timeout_s: float = 60.0,
    max_attempts: int = 5,
    retry_wait_s: float = 2.0,
) -> Path:
    """Download ``url`` to ``dest`` (resumable, hash-verified); return ``dest``.

    Parameters
    ----------
    url : str
    dest : str or PathLike
        The archive's final path; ``dest + ".part"`` holds an unfinished transfer.
    expected_hash : str, optional
        ``"sha1:HEX"`` or ``"sha256:HEX"``. None: trust on first use (``dest + ".sha256"``).
    quiet : bool
        No progress bar.
    timeout_s, max_attempts, retry_wait_s
        Socket timeout, tries per download, and the pause before try n (n * retry_wait_s).

    Raises
    ------
    DatasetError
        The server refuses, the transfer keeps failing, or the hash is wrong twice.

    Examples
    --------
    >>> download_file("http://127.0.0.1:9/x.zip", "x.zip", max_attempts=1, quiet=True)  # doctest: +SKIP
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    record = dest.with_name(dest.name + ".sha256")
    if expected_hash is None and record.is_file():
        expected_hash = "sha256:" + record.read_text(encoding="utf-8").split()[0]
        log.info("%s: checking against the sha256 recorded on first download (%s)", dest, record)
    algorithm, digest = parse_hash(expected_hash) if expected_hash else ("sha256", None)
    if dest.is_file():
        if digest is None or file_hash(dest, algorithm) == digest:
            return dest
        log.warning("%s: cached archive has the wrong %s; downloading it again", dest, algorithm)
        dest.unlink()
    for verify_try in (1, 2):
        _fetch(url, part, timeout_s=timeout_s, max_attempts=max_attempts, retry_wait_s=retry_wait_s, quiet=quiet)
        actual = file_hash(part, algorithm)
        if digest is None or actual == digest:
            os.replace(part, dest)
            if digest is None:
                record.write_text(f"{actual}  {dest.name}\n", encoding="utf-8")
                log.info("%s: no known hash; recorded sha256 %s in %s", dest, actual, record)
            return dest
        part.unlink()
        log.warning("%s: %s is %s, expected %s (try %d of 2); file deleted", url, algorithm, actual, digest, verify_try)
    hint = f" (or delete {record} if the source changed on purpose)" if record.is_file() else ""
    raise DatasetError(
        f"{url}: the download's {algorithm} is {actual}, expected {digest}, twice; nothing was kept. "
        f"Check the URL and your network or proxy{hint}"
    )


# --------------------------------------------------------------------------------------- extraction
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
    with open(archive, "rb") as raw, tarfile.open(fileobj=raw, mode="r:*") as tar, _progress(quiet, speed=False) as bar:
        task = bar.add_task(f"extract {archive.name}", total=size)
        for member in tar:  # one pass: check, then extract, member by member
            _check_tar_member(archive, member)
            tar.extract(member, into, filter="data")
            bar.update(task, completed=raw.tell())


def _extract_zip(archive: Path, into: Path, *, quiet: bool) -> None:
    with zipfile.ZipFile(archive) as zf, _progress(quiet, speed=False) as bar:
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
    prefix = f".{target.name}.extract-"
    for leftover in target.parent.glob(prefix + "*"):
        pid = leftover.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and (int(pid) == os.getpid() or not _pid_alive(int(pid))):
            log.info("removing the leftover of an interrupted extraction: %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def is_extracted(target: str | os.PathLike) -> bool:
    """True only when ``target`` holds the completion marker written after a full extraction."""
    return (Path(target) / COMPLETE_MARKER).is_file()


def extract_archive(archive: str | os.PathLike, target: str | os.PathLike, *, quiet: bool = False) -> Path:
    """Extract a .tar(.gz/.bz2/.xz) or .zip into ``target`` atomically; return ``target``.

    Does nothing when ``target`` is already complete. A ``target`` without the marker (left by
    something else) is replaced. ``quiet`` turns the progress bar off.

    Raises
    ------
    DatasetError
        The archive is not a tar or zip, is corrupt, or holds an unsafe member.
    """
    archive, target = Path(archive), Path(target)
    if is_extracted(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_extractions(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.extract-{os.getpid()}-", dir=target.parent))
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, tmp, quiet=quiet)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, tmp, quiet=quiet)
        else:
            raise DatasetError(f"{archive}: not a tar or zip archive; delete it and download again")
        marker = {"archive": archive.name, "extracted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        (tmp / COMPLETE_MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
        if target.exists():
            log.info("%s: replacing an incomplete folder (no %s)", target, COMPLETE_MARKER)
            shutil.rmtree(target)
        os.replace(tmp, target)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DatasetError(f"{archive}: corrupt archive ({exc}); delete it and download again") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("%s: extracted into %s", archive, target)
    return target

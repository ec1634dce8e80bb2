"""Download an archive once, resumably, and verify it.

In: a URL and the expected hash (or none). Out: a verified archive file. Extraction is
``harken.datasets.extract``.

- Resumable: the transfer goes to ``NAME.part``, which is kept after an interruption; the next try
  sends ``Range: bytes=N-`` and appends on ``206 Partial Content``, or starts over when the server
  ignores the range and answers ``200``. Within one call, a cut transfer is retried
  (``max_attempts``) from where it stopped.
- Verified: ``"sha1:HEX"`` / ``"sha256:HEX"`` (a bare hex digest is read by its length). On a mismatch
  the file is deleted and downloaded once more from scratch; a second mismatch raises
  ``DatasetError`` and keeps nothing. With no hash known, the sha256 of the first download is
  recorded in ``NAME.sha256`` beside the archive (by ``download_dataset`` only once the archive has
  also extracted, so a corrupt first download is never trusted) and later downloads are checked
  against it.
- Progress: a rich bar on stderr for the transfer; ``quiet=True`` turns it off.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from harken._util.atomic import write_text_atomic
from harken.errors import DatasetError

log = logging.getLogger(__name__)

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


def progress_bar(quiet: bool, *, speed: bool = True):
    """A rich progress bar on stderr (transient; disabled when ``quiet``)."""
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
        with progress_bar(quiet) as bar, open(part, mode) as fh:
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
        except OSError as exc:  # network errors became _Retry inside: this one is the local file
            have = part.stat().st_size if part.exists() else 0
            raise DatasetError(
                f"{part}: cannot write the download ({exc.strerror or exc}); {have} bytes are kept: "
                "free some space and run the same command again to resume"
            ) from None
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
    record_first_hash: bool = True,
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
    record_first_hash : bool
        With no hash known, record this download's sha256 now. False: the caller records it with
        ``record_hash`` once it has checked the archive (``download_dataset`` does, after extracting).

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
            if digest is None and record_first_hash:
                record_hash(dest, actual)
            return dest
        part.unlink()
        log.warning("%s: %s is %s, expected %s (try %d of 2); file deleted", url, algorithm, actual, digest, verify_try)
    hint = f" (or delete {record} if the source changed on purpose)" if record.is_file() else ""
    raise DatasetError(
        f"{url}: the download's {algorithm} is {actual}, expected {digest}, twice; nothing was kept. "
        f"Check the URL and your network or proxy{hint}"
    )


def record_hash(archive: str | os.PathLike, sha256: str | None = None) -> None:
    """Trust ``archive`` from now on: write its sha256 to ``ARCHIVE.sha256`` unless one is recorded."""
    archive = Path(archive)
    record = archive.with_name(archive.name + ".sha256")
    if record.is_file():
        return
    sha256 = sha256 or file_hash(archive, "sha256")
    try:
        write_text_atomic(record, f"{sha256}  {archive.name}\n")
    except OSError as exc:
        log.warning("%s: cannot record the sha256 (%s); later downloads will not be checked", record, exc.strerror)
        return
    log.info("%s: no known hash; recorded sha256 %s in %s", archive, sha256, record)

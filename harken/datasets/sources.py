"""Known dataset sources, and fetching one into the cache: download, verify, extract.

In: a source name (``speech_commands_v2``, ``esc50``, ``mit_ir_survey``) or any archive URL with
its hash. Out: the folder holding the dataset.

Layout (``$HARKEN_HOME``, default ``~/.harken``)::

    downloads/ARCHIVE            the verified archive (kept, so re-extraction needs no network)
    downloads/ARCHIVE.part       an unfinished transfer, resumed by the next call
    downloads/ARCHIVE.sha256     the sha256 recorded once the first download extracted, when the
                                 source has no hash
    datasets/NAME/               the extracted archive, with its ``.harken-complete`` marker

ARCHIVE is ``NAME--KEY--FILE``: KEY is a digest of the URL and the expected hash, so another URL
(or another hash) with the same file name never gets an earlier, unrelated archive. An archive URL's
NAME is its file's stem plus a digest of the URL (``words-1a2b3c4d``), so two URLs never share a
folder either; a folder that holds another archive's extraction is refused, never returned.

Hashes: Speech Commands v2 has a published SHA-1. The ESC-50 GitHub master zip and the MIT IR
survey zip have none we can know in advance (GitHub builds master zips on request), so their sha256
is recorded on first download and checked on every later download.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from harken.datasets.download import download_file, parse_hash, record_hash
from harken.datasets.extract import check_extraction_target, extract_archive, is_extracted
from harken.errors import DatasetError
from harken._util.paths import datasets_dir, downloads_dir


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """Where a dataset archive lives and how to check it.

    ``root`` is the folder inside the archive that holds the data ("" for the top; None: the single
    top-level folder when there is exactly one, else the top).
    """

    name: str
    url: str
    hash: str | None = None
    description: str = ""
    license: str = ""
    root: str | None = None

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or self.name.startswith("."):
            raise DatasetError(f"source name {self.name!r}: use a plain folder name such as 'my_words'")
        if urlparse(self.url).scheme not in ("http", "https", "file"):
            raise DatasetError(f"source {self.name!r}: url {self.url!r} is not http(s); give the archive's full URL")
        if self.hash is not None:
            parse_hash(self.hash)

    @property
    def archive_name(self) -> str:
        """The archive's file name in the download cache: ``NAME--KEY--<last URL part>``, KEY from URL and hash."""
        tail = os.path.basename(urlparse(self.url).path) or "archive"
        algorithm, digest = parse_hash(self.hash) if self.hash else ("", "")
        key = hashlib.sha256(f"{self.url}\n{algorithm}:{digest}".encode()).hexdigest()[:12]
        return f"{self.name}--{key}--{tail}"


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            name="speech_commands_v2",
            url="http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
            hash="sha1:4264eb9753e38eef2ec1d15dfac8441f09751ca9",
            description="Google Speech Commands v0.02: 105k one-second clips of 35 words, 2.3 GB",
            license="CC BY 4.0",
            root="",
        ),
        Source(
            name="esc50",
            url="https://github.com/karolpiczak/ESC-50/archive/master.zip",
            description="ESC-50: 2000 five-second environmental sounds in 50 classes, ~600 MB",
            license="CC BY-NC 3.0",
            root="ESC-50-master",
        ),
        Source(
            name="mit_ir_survey",
            url="https://mcdermottlab.mit.edu/Reverb/IRMAudio/Audio.zip",
            description="MIT McDermott lab impulse response survey: 271 real room impulse responses",
            license="see the survey's web page",
        ),
    )
}


def get_source(name_or_url: str, *, hash: str | None = None) -> Source:
    """A known source by name, or a generic one for an archive URL (with ``hash`` if known).

    Examples
    --------
    >>> get_source("esc50").root
    'ESC-50-master'
    >>> get_source("https://example.org/words.zip", hash=None).name
    'words-2ad94658'

    A URL's name is its file's stem and a digest of the URL (another URL, another folder); its
    dataset folder is the extraction folder itself (``root=""``).
    """
    if "://" in name_or_url:
        tail = os.path.basename(urlparse(name_or_url).path) or "archive"
        stem = tail.split(".", 1)[0] or "archive"
        name = f"{stem}-{hashlib.sha256(name_or_url.encode()).hexdigest()[:8]}"
        return Source(name=name, url=name_or_url, hash=hash, description="archive at URL", root="")
    if name_or_url not in SOURCES:
        close = difflib.get_close_matches(name_or_url, SOURCES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise DatasetError(
            f"unknown dataset {name_or_url!r}; {hint}known: {', '.join(SOURCES)}, or give an archive URL"
        )
    source = SOURCES[name_or_url]
    if hash is not None:
        raise DatasetError(f"{source.name} has its own hash; --hash is only for archive URLs")
    return source


def _dataset_root(extracted: Path, root: str | None) -> Path:
    if root is not None:
        return extracted / root if root else extracted
    folders = [p for p in extracted.iterdir() if p.is_dir() and p.name != "__MACOSX" and not p.name.startswith(".")]
    files = [p for p in extracted.iterdir() if p.is_file() and not p.name.startswith(".")]
    return folders[0] if len(folders) == 1 and not files else extracted


def extracted_path(source: Source, *, dest: str | os.PathLike | None = None) -> Path:
    """Where ``source`` is (or will be) extracted: ``dest``, else ``$HARKEN_HOME/datasets/NAME``."""
    return Path(dest).expanduser() if dest is not None else datasets_dir() / source.name


def cached_dataset(source: Source, *, dest: str | os.PathLike | None = None) -> Path | None:
    """The dataset folder when ``source`` is fully extracted already, else None (no network)."""
    target = extracted_path(source, dest=dest)
    return _dataset_root(target, source.root) if is_extracted(target, source.archive_name) else None


def download_dataset(
    source: Source | str, *, dest: str | os.PathLike | None = None, quiet: bool = False, **download_options
) -> Path:
    """Download (resumably), verify and extract a dataset unless it is cached; return its folder.

    Parameters
    ----------
    source : Source or str
        A ``Source``, a known name (see ``SOURCES``) or an archive URL.
    dest : str or PathLike, optional
        Extract here instead of ``$HARKEN_HOME/datasets/NAME`` (the archive stays in the cache).
    quiet : bool
        No progress bar.
    **download_options
        Passed to ``download_file`` (``timeout_s``, ``max_attempts``, ``retry_wait_s``).

    Examples
    --------
    >>> download_dataset("speech_commands_v2")  # doctest: +SKIP
    PosixPath('/home/me/.harken/datasets/speech_commands_v2')
    """
    source = get_source(source) if isinstance(source, str) else source
    cached = cached_dataset(source, dest=dest)
    if cached is not None:
        return cached
    target = extracted_path(source, dest=dest)
    check_extraction_target(target, source.archive_name)  # before the download, not after
    archive = download_file(source.url, downloads_dir() / source.archive_name, expected_hash=source.hash,
                            quiet=quiet, record_first_hash=False, **download_options)  # fmt: skip
    extract_archive(archive, target, quiet=quiet)
    if source.hash is None:
        record_hash(archive)  # trusted only now that it verified and extracted
    return _dataset_root(target, source.root)

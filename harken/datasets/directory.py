"""Directory datasets: a folder of class sub-folders of ``.wav``/``.flac`` clips (Speech Commands).

In: a root folder and ``DirectorySettings``. Out: ``DirectoryDataset``: every usable clip with its
class, speaker and split; the background-noise files; the bad files with their reasons.

Folder rules:

- a folder named like a keyword is that class; every other word folder (and ``_unknown_``) becomes
  ``_unknown_`` (or is dropped with ``unknown=False``). With no keywords, every word folder is a class.
- ``_background_noise_`` holds noise for augmentation, not a class (``noise_files``).
- ``_silence_`` (if present) holds real silence clips, class ``_silence_``; each is its own "speaker".
  ``silence_percentage`` adds generated silence entries (``path=None``; the audio is made elsewhere),
  ``ceil(n * silence_percentage / 100)`` per split, n being that split's other clips.
- other ``_name_`` folders, hidden files and folders are skipped; top-level files are ignored.

Splits follow ``harken.datasets.splits`` (speaker hash). A manifest TSV/CSV with a ``file`` column
and a ``speaker`` and/or ``split`` column can name the speakers and put a speaker in a split by
hand (``training``, ``validation``, ``testing``; as Speech Commands' testing_list.txt does), for
files it lists; a speaker's clips still share one split. ``max_samples_per_class`` keeps a seeded
random subset.

Bad files (see ``harken.datasets.filecheck``) are logged, listed in ``bad_files`` and left out;
``strict=True`` raises ``DatasetError`` instead. The file checks are cached per file (``harken.datasets.scan``:
keyed on each file's size, times and inode), so a second load only stats the files and checks those that
changed. This module does not read samples: it lists them.
"""

from __future__ import annotations

import csv
import difflib
import logging
import math
import os
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harken._util.settings import Settings, check_choice, check_number
from harken.datasets.filecheck import CHECK_LEVELS
from harken.datasets.scan import scan_folders
from harken.datasets.splits import SPLITS, check_percentages, speaker_of, split_of_speaker
from harken.errors import DatasetError, SettingsError

log = logging.getLogger(__name__)

UNKNOWN_CLASS = "_unknown_"
SILENCE_CLASS = "_silence_"
BACKGROUND_NOISE_FOLDER = "_background_noise_"


@dataclass(slots=True, kw_only=True)
class DirectorySettings(Settings):
    """How to turn a folder of class folders into classes and splits.

    Examples
    --------
    >>> DirectorySettings(keywords=("on", "off")).validation_percentage
    10.0
    """

    keywords: tuple[str, ...] | None = None
    unknown: bool = True
    silence_percentage: float = 0.0
    validation_percentage: float = 10.0
    testing_percentage: float = 10.0
    max_samples_per_class: int | None = None
    seed: int = 0
    check: str = "header"
    strict: bool = False
    speaker_manifest: str | None = None

    def __post_init__(self) -> None:
        if self.keywords is not None:
            self.keywords = tuple(self.keywords)
        self.validate()

    def validate(self) -> None:
        """Raise ``SettingsError`` naming the field when a value is out of range."""
        if self.keywords is not None:
            if not self.keywords or any(not isinstance(k, str) or not k for k in self.keywords):
                raise SettingsError(f"DirectorySettings.keywords={self.keywords!r}: give non-empty names, "
                                    "or None for every folder")
            if len(set(self.keywords)) != len(self.keywords):
                raise SettingsError(f"DirectorySettings.keywords={self.keywords!r} repeats a name; "
                                    "list each keyword once")
        check_number(self, "silence_percentage", lo=0.0, hi=1000.0)
        check_percentages(self.validation_percentage, self.testing_percentage)
        if self.max_samples_per_class is not None and self.max_samples_per_class < 1:
            raise SettingsError(f"DirectorySettings.max_samples_per_class={self.max_samples_per_class}: "
                                "use None or a count >= 1")
        check_choice(self, "check", choices=CHECK_LEVELS)


@dataclass(frozen=True, slots=True)
class Sample:
    """One clip: ``path`` is None for a generated silence entry."""

    path: str | None
    label: str
    speaker: str
    split: str


@dataclass(frozen=True, slots=True)
class BadFile:
    """A file left out, and why."""

    path: str
    reason: str


@dataclass(slots=True, kw_only=True)
class DirectoryDataset:
    """The result of ``load_directory_dataset``: classes, samples with splits, noise, bad files."""

    root: str
    classes: tuple[str, ...]
    samples: tuple[Sample, ...]
    noise_files: tuple[str, ...] = ()
    bad_files: tuple[BadFile, ...] = ()
    settings: DirectorySettings = field(default_factory=DirectorySettings)

    def split(self, name: str) -> list[Sample]:
        """The samples of one split (``training``, ``validation`` or ``testing``)."""
        if name not in SPLITS:
            raise SettingsError(f"split={name!r}: use one of {', '.join(SPLITS)}")
        return [s for s in self.samples if s.split == name]

    def class_counts(self, split: str | None = None) -> dict[str, int]:
        """Samples per class (every class listed, zeros included), for one split or all."""
        counts = Counter(s.label for s in (self.samples if split is None else self.split(split)))
        return {c: counts.get(c, 0) for c in self.classes}

    def speaker_counts(self, split: str | None = None) -> dict[str, int]:
        """Recorded samples per speaker (generated silence has no speaker)."""
        chosen = self.samples if split is None else self.split(split)
        return dict(sorted(Counter(s.speaker for s in chosen if s.path is not None).items()))

    def split_counts(self) -> dict[str, int]:
        """Samples per split."""
        counts = Counter(s.split for s in self.samples)
        return {name: counts.get(name, 0) for name in SPLITS}

    def class_weights(self, split: str = "training") -> dict[str, float]:
        """"Balanced" weights of one split's class counts (see ``balanced_class_weights``)."""
        return balanced_class_weights(self.class_counts(split))

    def summary(self) -> dict:
        """A JSON-able report: classes, counts per class/split/speaker, noise, bad files, settings."""
        per_class = {}
        for label in self.classes:
            chosen = [s for s in self.samples if s.label == label]
            split_counts = Counter(s.split for s in chosen)
            per_class[label] = {
                **{name: split_counts.get(name, 0) for name in SPLITS},
                "total": len(chosen),
                "speakers": len({s.speaker for s in chosen if s.path is not None}),
            }
        return {
            "root": self.root,
            "classes": list(self.classes),
            "per_class": per_class,
            "splits": self.split_counts(),
            "speakers_per_split": {name: len(self.speaker_counts(name)) for name in SPLITS},
            "speakers": self.speaker_counts(),
            "num_noise_files": len(self.noise_files),
            "bad_files": [{"path": b.path, "reason": b.reason} for b in self.bad_files],
            "settings": self.settings.to_dict(),
        }


def balanced_class_weights(counts: dict[str, int]) -> dict[str, float]:
    """Keras/scikit-learn "balanced" weights: ``total / (num_classes * count)``.

    Raises ``DatasetError`` naming a class with no samples (its weight would be infinite).

    Examples
    --------
    >>> balanced_class_weights({"on": 10, "off": 30})
    {'on': 2.0, 'off': 0.6666666666666666}
    """
    empty = [c for c, n in counts.items() if n <= 0]
    if empty:
        raise DatasetError(f"class {empty[0]!r} has no samples, so it has no balanced weight; add clips or drop it")
    total = sum(counts.values())
    return {c: total / (len(counts) * n) for c, n in counts.items()}


def bad_file_report(bad_files: tuple[BadFile, ...] | list[BadFile]) -> str:
    """One line per bad file, ``path: reason`` (empty string when there are none)."""
    return "\n".join(f"{b.path}: {b.reason}" for b in bad_files)


# ------------------------------------------------------------------------------------------ loading
def _read_manifest(path: str, root: Path) -> tuple[Path, dict[str, tuple[str | None, str | None]]]:
    """The manifest's path and ``{relative file path: (speaker or None, split or None)}``.

    A TSV/CSV with a ``file`` column and a ``speaker`` and/or ``split`` column; empty cells are None.
    """
    manifest = Path(path).expanduser()
    if not manifest.is_absolute() and not manifest.exists():
        manifest = root / manifest
    try:
        text = manifest.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"{manifest}: cannot read the speaker manifest ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{manifest}: not UTF-8 text (byte {exc.start}); save the speaker manifest as UTF-8") from None
    lines = text.splitlines()
    delimiter = "\t" if lines and "\t" in lines[0] else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    columns = reader.fieldnames or []
    if "file" not in columns or not {"speaker", "split"} & set(columns):
        raise DatasetError(
            f"{manifest}: a speaker manifest needs a 'file' column and a 'speaker' or 'split' column, got "
            f"{reader.fieldnames}; add a header line such as 'file<TAB>speaker<TAB>split'"
        )
    rows = {}
    for line, row in enumerate(reader, start=2):
        speaker, split = (row.get("speaker") or "").strip() or None, (row.get("split") or "").strip() or None
        if split is not None and split not in SPLITS:
            raise DatasetError(f"{manifest}: line {line}: split {split!r} is not one of {', '.join(SPLITS)}")
        if row.get("file") and (speaker or split):
            rows[row["file"].replace("\\", "/")] = (speaker, split)
    return manifest, rows


def _chosen_splits(manifest: Path, chosen: list[tuple[str, str, str]]) -> dict[str, str]:
    """``{speaker: split}`` from the manifest's (file, speaker, split) rows; one split per speaker."""
    first: dict[str, tuple[str, str]] = {}
    for rel, speaker, split in chosen:
        kept_split, kept_rel = first.setdefault(speaker, (split, rel))
        if kept_split != split:
            raise DatasetError(
                f"{manifest}: speaker {speaker!r} is put in {kept_split!r} ({kept_rel}) and in {split!r} ({rel}); "
                "a speaker's clips must share one split"
            )
    return {speaker: split for speaker, (split, _) in first.items()}


def _label_of(folder: str, settings: DirectorySettings) -> str | None:
    """The class of a folder, or None when it is not a class (noise, skipped)."""
    if folder == BACKGROUND_NOISE_FOLDER:
        return None
    if folder in (SILENCE_CLASS, UNKNOWN_CLASS):
        return folder if (folder == SILENCE_CLASS or settings.keywords is None or settings.unknown) else None
    if folder.startswith("_") and folder.endswith("_"):
        log.info("skipping folder %s (not a class)", folder)
        return None
    if settings.keywords is None or folder in settings.keywords:
        return folder
    return UNKNOWN_CLASS if settings.unknown else None


def _cap(samples: list[Sample], cap: int | None, seed: int) -> list[Sample]:
    """At most ``cap`` samples per class, a seeded random choice (same seed, same choice)."""
    if cap is None:
        return samples
    by_class: dict[str, list[Sample]] = {}
    for s in samples:
        by_class.setdefault(s.label, []).append(s)
    kept = []
    for label, chosen in by_class.items():
        if len(chosen) > cap:
            rng = np.random.default_rng([seed, zlib.crc32(label.encode("utf-8"))])
            chosen = [chosen[i] for i in sorted(rng.choice(len(chosen), size=cap, replace=False))]
        kept.extend(chosen)
    return kept


def load_directory_dataset(
    root: str | os.PathLike, settings: DirectorySettings | None = None, *, use_cache: bool = True
) -> DirectoryDataset:
    """List a folder of class folders as classes, speakers and splits, leaving bad files out.

    Parameters
    ----------
    root : str or PathLike
        The folder holding one sub-folder per word (``on/``, ``off/``, ``_background_noise_/``...).
    settings : DirectorySettings, optional
        Keywords, splits, caps, file checks; the defaults list every word folder as a class.
    use_cache : bool
        Reuse the cached file checks when the folders have not changed.

    Returns
    -------
    DirectoryDataset

    Raises
    ------
    DatasetError
        The root is not a folder, a keyword has no folder, or (``strict=True``) a file is bad.

    Examples
    --------
    >>> ds = load_directory_dataset("speech_commands", DirectorySettings(keywords=("on", "off")))  # doctest: +SKIP
    >>> ds.class_counts("training")  # doctest: +SKIP
    {'on': 3086, 'off': 2970, '_unknown_': 78823}
    """
    settings = settings if settings is not None else DirectorySettings()
    settings.validate()
    root_path = Path(root).expanduser().resolve()
    folders = scan_folders(root_path, check=settings.check, use_cache=use_cache)
    word_folders = [f for f in folders if not (f.startswith("_") and f.endswith("_"))]
    for keyword in settings.keywords or ():
        if keyword not in folders:
            close = difflib.get_close_matches(keyword, word_folders, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DatasetError(
                f"{root_path}: keyword {keyword!r} has no folder{hint}; folders found: "
                f"{', '.join(word_folders) or 'none'}"
            )
    if not folders:
        raise DatasetError(f"{root_path}: no class folders; a directory dataset holds one folder per word")
    manifest_path, manifest = (_read_manifest(settings.speaker_manifest, root_path) if settings.speaker_manifest
                               else (None, {}))
    split_options = dict(
        validation_percentage=settings.validation_percentage, testing_percentage=settings.testing_percentage
    )
    listed, noise, bad, chosen = [], [], [], []
    for folder, rows in folders.items():
        label = _label_of(folder, settings)
        if label is None and folder != BACKGROUND_NOISE_FOLDER:
            continue
        for name, _, _, _, reason in rows:
            path = str(root_path / folder / name)
            if reason is not None:
                bad.append(BadFile(path, reason))
            elif label is None:
                noise.append(path)
            else:
                rel = f"{folder}/{name}"
                # Silence has no voice: each clip is its own "speaker", so the clips spread over splits.
                own = os.path.splitext(name)[0] if label == SILENCE_CLASS else speaker_of(name)
                named, split = manifest.get(rel, (None, None))
                listed.append((path, label, named or own))
                if split is not None:
                    chosen.append((rel, named or own, split))
    split_cache = _chosen_splits(manifest_path, chosen) if chosen else {}
    samples = []
    for path, label, speaker in listed:
        if speaker not in split_cache:
            split_cache[speaker] = split_of_speaker(speaker, **split_options)
        samples.append(Sample(path, label, speaker, split_cache[speaker]))
    if bad:
        for b in bad:
            log.warning("%s: left out: %s", b.path, b.reason)
        if settings.strict:
            shown = "\n  ".join(f"{b.path}: {b.reason}" for b in bad[:10])
            more = f"\n  ... and {len(bad) - 10} more" if len(bad) > 10 else ""
            raise DatasetError(
                f"{root_path}: {len(bad)} bad file(s) (strict mode):\n  {shown}{more}\n"
                "fix or delete them, or drop strict to leave them out"
            )
    samples = _cap(samples, settings.max_samples_per_class, settings.seed)
    present = {s.label for s in samples}
    if settings.keywords is not None:
        classes = list(settings.keywords)
    else:
        classes = sorted(present - {UNKNOWN_CLASS, SILENCE_CLASS})
    if UNKNOWN_CLASS in present:
        classes.append(UNKNOWN_CLASS)
    if SILENCE_CLASS in present or settings.silence_percentage > 0:
        classes.append(SILENCE_CLASS)
        if settings.silence_percentage > 0:
            per_split = Counter(s.split for s in samples if s.label != SILENCE_CLASS)
            for name in SPLITS:
                count = math.ceil(per_split.get(name, 0) * settings.silence_percentage / 100.0)
                samples.extend(Sample(None, SILENCE_CLASS, "", name) for _ in range(count))
    log.info("%s: %d samples in %d classes, %d bad files left out", root_path, len(samples), len(classes), len(bad))
    return DirectoryDataset(
        root=str(root_path),
        classes=tuple(classes),
        samples=tuple(samples),
        noise_files=tuple(noise),
        bad_files=tuple(bad),
        settings=settings,
    )

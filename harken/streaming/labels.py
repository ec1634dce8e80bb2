"""Where the words of a long stream are: the labels CSV (``start_s,end_s,label``), read and written.

In: a CSV whose header names at least ``start_s``, ``end_s`` and ``label`` (other columns, such as the
``word``, ``source`` and ``snr_db`` that ``harken datasets stream`` writes, are kept as they are), and
the stream's wav. Out: :class:`StreamLabel` rows sorted by start, checked against the stream.
Everything not labelled is background. A row's ``label`` is a class of the model (``on``) or a
non-keyword class (``_unknown_`` for any other word, ``_silence_``).

Bad input is one line naming the file and the row (the header is row 1): a missing column, a time
that is not a number, ``end_s <= start_s``, a label outside the stream's duration, overlapping labels,
an unknown label name, an empty CSV; and a stream that is not a wav. This module does no scoring.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harken._util.atomic import write_text_atomic
from harken.errors import AudioError, DatasetError

REQUIRED_COLUMNS = ("start_s", "end_s", "label")
NON_KEYWORD_LABELS = ("_unknown_", "_silence_")

__all__ = ["StreamLabel", "read_labels", "read_stream", "write_labels"]


@dataclass(frozen=True, slots=True)
class StreamLabel:
    """One spoken word: ``[start_s, end_s)`` in the stream, its label, and the CSV's other columns."""

    start_s: float
    end_s: float
    label: str
    row: int = 0  # the CSV row it came from (the header is row 1); 0 when made in code
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_keyword(self) -> bool:
        """Keywords are the labels that do not start with ``_``, as in the firmware."""
        return not self.label.startswith("_")


def _number(text: str, path: Path, row: int, column: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise DatasetError(f"{path}: row {row}: {column}={text!r} is not a number of seconds") from None
    if not math.isfinite(value):
        raise DatasetError(f"{path}: row {row}: {column}={text!r} is not a finite number of seconds")
    return value


def _parse_rows(path: Path, text: str) -> list[StreamLabel]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise DatasetError(f"{path}: the labels CSV is empty; give a header 'start_s,end_s,label' and one row per word")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise DatasetError(f"{path}: row 1: the header {','.join(header)} lacks {', '.join(missing)}; "
                           "the columns are start_s,end_s,label")  # fmt: skip
    reader.fieldnames = header
    labels = []
    for row_number, row in enumerate(reader, start=2):
        if all(not (v or "").strip() for k, v in row.items() if k is not None):
            continue  # a blank line
        start = _number((row.get("start_s") or "").strip(), path, row_number, "start_s")
        end = _number((row.get("end_s") or "").strip(), path, row_number, "end_s")
        label = (row.get("label") or "").strip()
        if not label:
            raise DatasetError(f"{path}: row {row_number}: the label is empty")
        if end <= start:
            raise DatasetError(f"{path}: row {row_number}: end_s={end} is not after start_s={start}")
        extra = {k: (v or "") for k, v in row.items() if k is not None and k not in REQUIRED_COLUMNS}
        labels.append(StreamLabel(start, end, label, row_number, extra))
    if not labels:
        raise DatasetError(f"{path}: the labels CSV has a header but no rows; label at least one word")
    return labels


def check_labels(labels: Sequence[StreamLabel], path: str | os.PathLike, *, duration_s: float | None = None,
                 classes: Iterable[str] | None = None) -> list[StreamLabel]:
    """``labels`` sorted by start; DatasetError naming ``path`` and the row for the first problem.

    ``duration_s``: the stream's length (labels must end within it). ``classes``: the model's
    classes; a label must be one of them or a non-keyword class (``_unknown_``, ``_silence_``).
    """
    path = Path(path)
    known = None if classes is None else set(classes) | set(NON_KEYWORD_LABELS)
    for item in labels:
        if item.start_s < 0:
            raise DatasetError(f"{path}: row {item.row}: start_s={item.start_s} is before the stream's start")
        if duration_s is not None and item.end_s > duration_s:
            raise DatasetError(f"{path}: row {item.row}: end_s={item.end_s} is past the end of the stream "
                               f"({duration_s:.3f} s); is this the labels file of that stream?")  # fmt: skip
        if known is not None and item.label not in known:
            raise DatasetError(f"{path}: row {item.row}: label {item.label!r} is not a class of the model "
                               f"({', '.join(sorted(known))}); label other words _unknown_")  # fmt: skip
    ordered = sorted(labels, key=lambda item: (item.start_s, item.end_s, item.row))
    for before, after in zip(ordered, ordered[1:]):
        if after.start_s < before.end_s:
            raise DatasetError(f"{path}: row {after.row}: {after.label} [{after.start_s}, {after.end_s}] overlaps "
                               f"row {before.row}: {before.label} [{before.start_s}, {before.end_s}]; "
                               "labelled words must not overlap")  # fmt: skip
    return ordered


def read_labels(path: str | os.PathLike, *, duration_s: float | None = None,
                classes: Iterable[str] | None = None) -> list[StreamLabel]:
    """Read and check a labels CSV (see :func:`check_labels`); rows come back sorted by start.

    Examples
    --------
    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text("start_s,end_s,label\\n2.5,3.0,off\\n1.0,1.4,on\\n")
    >>> [(x.label, x.start_s) for x in read_labels(p, duration_s=10.0, classes=["on", "off"])]
    [('on', 1.0), ('off', 2.5)]
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such labels file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not a readable text file ({type(exc).__name__})") from None
    return check_labels(_parse_rows(path, text), path, duration_s=duration_s, classes=classes)


def write_labels(path: str | os.PathLike, labels: Sequence[StreamLabel]) -> None:
    """Write ``labels`` as CSV atomically: start_s,end_s,label and then every extra column (ms precision)."""
    extra_columns: list[str] = []
    for item in labels:
        extra_columns += [k for k in item.extra if k not in extra_columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*REQUIRED_COLUMNS, *extra_columns])
    for item in labels:
        writer.writerow([f"{item.start_s:.3f}", f"{item.end_s:.3f}", item.label,
                         *(item.extra.get(k, "") for k in extra_columns)])  # fmt: skip
    write_text_atomic(path, out.getvalue())


def read_stream(path: str | os.PathLike, *, sample_rate_hz: int) -> np.ndarray:
    """The stream's int16 samples at ``sample_rate_hz`` (resampled if needed); AudioError unless it is a wav."""
    import soundfile as sf

    from harken.audio.io import read_audio

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such stream file")
    try:
        container = sf.info(str(path)).format
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        container = None
    if container != "WAV":
        raise AudioError(f"{path}: not a wav file (found {container or 'no audio'}); the stream must be a .wav")
    return read_audio(path, sample_rate_hz=sample_rate_hz)[0]

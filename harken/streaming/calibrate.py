"""Choose per-keyword detection thresholds on a labelled stream for a false-accepts-per-hour target.

In: the scores of a device-loop run over a stream (taken once), its labels, the model's recognizer
settings and a target in false accepts per hour for the whole model. Out: a :class:`StreamCalibration`
(thresholds, and the stream's figures at them), and, unless it is a dry run, the thresholds written
into the ``.tflite`` as ``detection_threshold_list`` the way the clip calibration does it (a backup kept,
``harken.evaluation.calibrate.write_thresholds``).

The rule: the target is shared equally by the K keywords (each may false-accept ``target / K`` per
hour). For each keyword the threshold is the **smallest** in 0..255 whose false accepts per hour meet
its share, found by re-running the recognizer with the other keywords silenced (threshold 255 never
fires: a detection needs score > threshold); then the recognizer runs once with every chosen threshold
and any keyword over its share there is raised one step at a time until it meets it (keywords interact
through the suppression's "previous top class"). 255 always meets it (a detection needs score > 255,
so it silences the keyword). Non-keyword classes keep their threshold (255 when the model has none).
On a short stream one false accept is many per hour (one in 10 minutes is 6 per hour): for a target
under one per stream length the thresholds allow no false accept at all, and the report says so.

:func:`search_on_stream` runs the same loop once and lets ``harken.streaming.recognizer_search`` choose the
averaging window, minimum count and suppression too (this rule's thresholds for each), storing all of them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from harken.errors import SettingsError
from harken.streaming.labels import StreamLabel
from harken.streaming.scoring import StreamScore, score_detections

if TYPE_CHECKING:
    from harken.streaming.recognizer_search import RecognizerGrid, RecognizerSearch

__all__ = ["StreamCalibration", "calibrate_on_stream", "choose_stream_thresholds", "search_on_stream"]


@dataclass(slots=True, kw_only=True)
class StreamCalibration:
    """Chosen thresholds and what they give on the stream (``score``: every figure, at those thresholds)."""

    classes: list[str]
    thresholds: list[int]
    previous_thresholds: list[int]
    target_false_accepts_per_hour: float
    keyword_share_per_hour: float
    keywords: list[str]
    one_false_accept_per_hour: float  # what a single false accept on this stream counts for
    score: StreamScore

    def to_dict(self) -> dict:
        """Plain JSON types."""
        return dataclasses.asdict(self)


def _figures(averaged, times, settings, labels, classes, thresholds, duration_s) -> StreamScore:
    from harken.streaming.recognizer import detect

    swept = dataclasses.replace(settings, detection_threshold_list=tuple(int(t) for t in thresholds))
    return score_detections(detect(*averaged, times, swept, classes), labels, classes, duration_s=duration_s)


def keyword_share(classes: Sequence[str], target_false_accepts_per_hour: float) -> tuple[list[int], float]:
    """The keyword class indices and each one's equal share of the target (SettingsError for a bad target or none)."""
    if not (np.isfinite(target_false_accepts_per_hour) and target_false_accepts_per_hour >= 0):
        raise SettingsError(f"target_false_accepts_per_hour={target_false_accepts_per_hour}: give a number >= 0")
    keywords = [i for i, c in enumerate(classes) if not c.startswith("_")]
    if not keywords:
        raise SettingsError(f"classes {list(classes)}: no keyword (a class not starting with '_') to calibrate")
    return keywords, target_false_accepts_per_hour / len(keywords)


def choose_stream_thresholds(
    scores_u8: np.ndarray,
    times_ms: np.ndarray,
    settings,
    labels: Sequence[StreamLabel],
    classes: Sequence[str],
    *,
    duration_s: float,
    target_false_accepts_per_hour: float = 0.5,
) -> StreamCalibration:
    """Per-keyword thresholds meeting ``target_false_accepts_per_hour`` (all keywords together) on the stream.

    ``settings``: the model's ``RecognizerSettings`` (window, count and suppression are kept).
    """
    classes = list(classes)
    keywords, share = keyword_share(classes, target_false_accepts_per_hour)
    previous = [int(t) for t in settings.thresholds(len(classes))]
    hours = duration_s / 3600.0
    chosen = [255 if i in keywords or settings.detection_threshold_list is None else previous[i]
              for i in range(len(classes))]  # fmt: skip
    from harken.streaming.recognizer import average_scores

    averaged = average_scores(scores_u8, times_ms, settings)  # computed once: thresholds do not change them
    figures = lambda thresholds: _figures(averaged, times_ms, settings, labels, classes, thresholds, duration_s)  # noqa: E731
    for k in keywords:
        for t in range(256):
            alone = [t if i == k else (255 if i in keywords else chosen[i]) for i in range(len(classes))]
            if figures(alone).num_false_accepts[classes[k]] / hours <= share:
                chosen[k] = t
                break
    score = figures(chosen)
    while True:
        over = [k for k in keywords if score.keyword_false_accepts_per_hour[classes[k]] > share and chosen[k] < 255]
        if not over:
            break
        for k in over:
            chosen[k] += 1
        score = figures(chosen)
    return StreamCalibration(
        classes=classes, thresholds=chosen, previous_thresholds=previous,
        target_false_accepts_per_hour=float(target_false_accepts_per_hour), keyword_share_per_hour=float(share),
        keywords=[classes[k] for k in keywords], one_false_accept_per_hour=float(1.0 / hours), score=score,
    )  # fmt: skip


def _run_on_stream(model, stream, labels, *, hop_ms, volume_gain, interpreter, dry_run, progress, what: str):
    """Load the model, check it can be written (unless a dry run), run the device loop once over the stream."""
    from harken.errors import ModelFileError
    from harken.streaming.evaluate import load_labelled_stream, run_stream
    from harken.streaming.model import load_stream_model

    loaded = load_stream_model(model, interpreter=interpreter)
    path = Path(str(loaded.path))
    if not dry_run and (path.suffix.lower() != ".tflite" or not path.is_file()):
        raise ModelFileError(f"{loaded.path}: {what} stored in a .tflite; give the .tflite file "
                             "(or --dry-run to only see them)")  # fmt: skip
    audio, words = load_labelled_stream(loaded, stream, labels)
    result = run_stream(loaded, audio, hop_ms=hop_ms, volume_gain=volume_gain, progress=progress)
    return loaded, path, words, result, audio.size / loaded.frontend.sample_rate_hz


def calibrate_on_stream(
    model: str | os.PathLike,
    stream: str | os.PathLike,
    labels: str | os.PathLike,
    *,
    target_false_accepts_per_hour: float = 0.5,
    hop_ms: int | None = None,
    volume_gain: int | None = None,
    interpreter: str = "tflm",
    dry_run: bool = False,
    backup: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[StreamCalibration, Path, Path | None]:
    """Run the device loop over ``stream``, choose thresholds and (unless ``dry_run``) store them in the .tflite.

    Returns the calibration, the model file and the backup path (None for a dry run or without backup).

    Examples
    --------
    >>> cal, path, backup = calibrate_on_stream("m.tflite", "s.wav", "s.csv")  # doctest: +SKIP
    >>> cal.thresholds  # doctest: +SKIP
    [211, 224, 255]
    """
    from harken.evaluation.calibrate import write_thresholds

    loaded, path, words, result, duration_s = _run_on_stream(
        model, stream, labels, hop_ms=hop_ms, volume_gain=volume_gain, interpreter=interpreter, dry_run=dry_run,
        progress=progress, what="thresholds are")  # fmt: skip
    calibration = choose_stream_thresholds(
        result.scores.scores, result.scores.times_ms, loaded.recognizer, words, loaded.classes,
        duration_s=duration_s, target_false_accepts_per_hour=target_false_accepts_per_hour,
    )  # fmt: skip
    if dry_run:
        return calibration, path, None
    return calibration, path, write_thresholds(path, calibration.thresholds, backup=backup)


def search_on_stream(
    model: str | os.PathLike,
    stream: str | os.PathLike,
    labels: str | os.PathLike,
    *,
    target_false_accepts_per_hour: float = 0.5,
    grid: RecognizerGrid | None = None,
    hop_ms: int | None = None,
    volume_gain: int | None = None,
    interpreter: str = "tflm",
    dry_run: bool = False,
    backup: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[RecognizerSearch, Path, Path | None]:
    """Run the device loop once, search the recognizer grid (``harken.streaming.recognizer_search``) and (unless
    ``dry_run``) store the chosen window, count, suppression and thresholds in the .tflite in one write.

    Returns the search (``RecognizerSearch``), the model file and the backup path (None for a dry run or without backup).

    Examples
    --------
    >>> search, path, backup = search_on_stream("m.tflite", "s.wav", "s.csv", dry_run=True)  # doctest: +SKIP
    >>> search.best.window_ms, search.best.thresholds  # doctest: +SKIP
    (500, [178, 237, 255])
    """
    from harken.evaluation.calibrate import write_thresholds
    from harken.streaming.recognizer_search import search_recognizer

    loaded, path, words, result, duration_s = _run_on_stream(
        model, stream, labels, hop_ms=hop_ms, volume_gain=volume_gain, interpreter=interpreter, dry_run=dry_run,
        progress=progress, what="recognizer settings are")  # fmt: skip
    search = search_recognizer(result.scores.scores, result.scores.times_ms, loaded.recognizer, words, loaded.classes,
                               duration_s=duration_s, target_false_accepts_per_hour=target_false_accepts_per_hour,
                               grid=grid)  # fmt: skip
    search.hop_ms = int(hop_ms if hop_ms is not None else loaded.hop_ms)
    if dry_run:
        return search, path, None
    best = search.best
    return search, path, write_thresholds(path, best.thresholds, backup=backup, settings=best.stored())

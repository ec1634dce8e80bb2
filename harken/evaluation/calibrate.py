"""Choose per-class detection thresholds for a target false-accept rate, and store them in the model.

In: scored clips (see ``harken.evaluation.scoring``) or a ``.tflite`` model and a labelled dataset.
Out: a :class:`Calibration` (thresholds with the false-accept rate and recall each one gives), and,
unless it is a dry run, the model's embedded ``detection_threshold_list`` rewritten (a backup of the
old file is kept beside it).

The rule follows the firmware: a clip is detected as keyword k when k is its top class and its uint8
score is ``>= threshold_k``. For each keyword the threshold is the **smallest** one in 0..255 whose
false-accept rate (non-keyword clips detected as k, over all non-keyword clips) is ``<= target``:
the most recall the target allows. The rates of the keywords add up, so the overall false-accept
rate is at most ``num_keywords x target`` (it is reported). Non-keyword classes keep their current
threshold (255 when they had none: a ``_unknown_`` "detection" is never reported). When even 255
cannot meet the target, 255 is chosen and ``met`` is False.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harken.evaluation import metrics
from harken.errors import DatasetError, ModelFileError, SettingsError

log = logging.getLogger(__name__)

__all__ = ["Calibration", "calibrate_model", "choose_thresholds", "write_thresholds"]


@dataclass(slots=True, kw_only=True)
class Calibration:
    """Chosen thresholds and what they give on the calibration clips (per keyword and overall).

    ``intervals``: the 95 % ranges of the overall figures at the chosen thresholds over the
    calibration speakers resampled (None without speakers): how far a few hundred clips can be trusted.
    ``skipped_files``: the files left out of the calibration (``{"path", "reason"}``).
    """

    classes: list[str]
    thresholds: list[int]
    previous_thresholds: list[int] | None
    target_false_accept: float
    false_accept_rate: dict[str, float]
    recall: dict[str, float | None]
    met: dict[str, bool]
    overall_false_accept_rate: float
    balanced_accuracy: float | None
    num_keyword_clips: int
    num_non_keyword_clips: int
    intervals: dict | None = None
    skipped_files: list[dict[str, str]] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON types."""
        return dataclasses.asdict(self)


def choose_thresholds(
    scores: np.ndarray,
    true_labels: Sequence[str],
    classes: Sequence[str],
    *,
    target_false_accept: float = 0.01,
    previous: Sequence[int] | None = None,
    speakers: Sequence[str] | None = None,
) -> Calibration:
    """Per-keyword thresholds meeting ``target_false_accept`` on the non-keyword clips.

    Parameters
    ----------
    scores : np.ndarray [shape=(n, classes), uint8]
        The firmware's 0..255 scores of every clip.
    true_labels : sequence of str [n]
        Each clip's class as the model sees it (keywords, ``_unknown_``, ``_silence_``...).
    classes : sequence of str
        The model's classes, in output order.
    target_false_accept : float in [0, 1]
        Highest false-accept rate allowed for each keyword.
    previous : sequence of int, optional
        Current thresholds; non-keyword classes keep theirs.
    speakers : sequence of str [n], optional
        Who spoke each clip: adds the 95 % ranges over speakers (``intervals``).

    Examples
    --------
    >>> s = np.array([[200, 55], [100, 155], [180, 75], [90, 165]], np.uint8)
    >>> choose_thresholds(s, ["on", "on", "_unknown_", "_unknown_"], ["on", "_unknown_"],
    ...                   target_false_accept=0.0).thresholds
    [181, 255]
    """
    scores = np.asarray(scores)
    classes = list(classes)
    if scores.ndim != 2 or scores.shape != (len(true_labels), len(classes)):
        raise SettingsError(f"scores {scores.shape} must be [clips={len(true_labels)}, classes={len(classes)}]")
    if not 0.0 <= target_false_accept <= 1.0:
        raise SettingsError(f"target_false_accept={target_false_accept} must be in [0, 1] (0.01 = 1 %)")
    if previous is not None and len(previous) != len(classes):
        raise SettingsError(f"{len(previous)} previous thresholds for {len(classes)} classes; give one per class")
    scores = scores.astype(np.int64)
    true_kw = np.array([metrics.is_keyword(t) for t in true_labels], dtype=bool)
    num_non_keyword = int((~true_kw).sum())
    if num_non_keyword == 0:
        raise DatasetError("calibration needs non-keyword clips (an _unknown_ or _silence_ folder) to count false accepts")
    top = np.argmax(scores, axis=1)
    top_score = scores[np.arange(scores.shape[0]), top]
    thresholds = [int(previous[i]) if previous is not None else 255 for i in range(len(classes))]
    far, recall, met = {}, {}, {}
    for k, name in enumerate(classes):
        if not metrics.is_keyword(name):
            continue
        # False accepts at threshold t: non-keyword clips with top class k and score >= t, for t = 0..256.
        fa_scores = top_score[(~true_kw) & (top == k)]
        at_least = np.r_[np.cumsum(np.bincount(fa_scores, minlength=256)[::-1])[::-1], 0]
        ok = np.flatnonzero(at_least / num_non_keyword <= target_false_accept)
        chosen = min(int(ok[0]), 255)
        thresholds[k] = chosen
        far[name] = float(at_least[chosen] / num_non_keyword)
        met[name] = far[name] <= target_false_accept
        own = np.array([t == name for t in true_labels], dtype=bool)
        hits = own & (top == k) & (top_score >= chosen)
        recall[name] = float(hits.sum() / own.sum()) if own.any() else None
        if not met[name]:
            log.warning("%s: even threshold 255 false-accepts %.2f%% > target", name, 100 * far[name])
    from harken.evaluation.scoring import detect

    detected = detect(scores, classes, thresholds)
    _, balanced, overall, _ = metrics.keyword_view(list(true_labels), detected)
    intervals = None if not speakers else metrics.bootstrap_intervals(list(true_labels), detected, speakers,
                                                                      order=classes)  # fmt: skip
    return Calibration(
        classes=classes, thresholds=thresholds,
        previous_thresholds=[int(v) for v in previous] if previous is not None else None,
        target_false_accept=float(target_false_accept), false_accept_rate=far, recall=recall, met=met,
        overall_false_accept_rate=float(overall), balanced_accuracy=balanced,
        num_keyword_clips=int(true_kw.sum()), num_non_keyword_clips=num_non_keyword, intervals=intervals,
    )  # fmt: skip


def write_thresholds(path: str | os.PathLike, thresholds: Sequence[int], *, backup: bool = True,
                     settings: Mapping[str, int] | None = None) -> Path | None:
    """Store ``detection_threshold_list`` (and ``settings``: other detection keys, e.g. ``suppression_ms``) in a
    .tflite in one checked write (only they and the ``hash`` change); return the backup path.

    The backup is ``MODEL.tflite.bak`` (an existing backup is kept, so it stays the original). It is
    written atomically with the model's mode and times, so a full disk never leaves a truncated one.
    """
    from harken._util.atomic import copy_file_atomic
    from harken.export.tflite.validate import update_model_params

    path = Path(path)
    if path.suffix.lower() != ".tflite":
        raise ModelFileError(f"{path}: thresholds are stored in a .tflite model; give the .tflite file")
    backup_path = None
    if backup:
        backup_path = path.with_name(path.name + ".bak")
        if not backup_path.exists():
            try:
                copy_file_atomic(path, backup_path)
            except OSError as exc:
                raise ModelFileError(
                    f"{backup_path}: cannot write the backup ({exc.strerror or exc}); the model is unchanged: "
                    "check the folder (space, permissions) or pass --no-backup"
                ) from None
    update_model_params(path, {**(settings or {}), "detection_threshold_list": [int(t) for t in thresholds]})  # checked; hash refreshed
    return backup_path


def calibrate_model(
    model: str | os.PathLike,
    dataset: str | os.PathLike,
    *,
    target_false_accept: float = 0.01,
    split: str | None = None,
    dry_run: bool = False,
    backup: bool = True,
    progress=None,
) -> tuple[Calibration, Path | None]:
    """Score ``dataset`` with a .tflite model, choose thresholds and (unless ``dry_run``) store them.

    Returns the calibration and the backup path (None for a dry run or without backup).

    Examples
    --------
    >>> cal, backup = calibrate_model("on_off.tflite", "speech_commands_dev", target_false_accept=0.01)  # doctest: +SKIP
    >>> cal.thresholds  # doctest: +SKIP
    [187, 203, 255, 255]
    """
    from harken.evaluation.scoring import resolve_model, score_dataset, skipped_files
    from harken.runtime.clip_model import load_clip_model

    path = resolve_model(model)
    if path.suffix.lower() != ".tflite":
        raise ModelFileError(f"{path}: calibrate needs the int8 .tflite (its thresholds are stored in it)")
    clip_model = load_clip_model(path)
    scored = score_dataset(clip_model, dataset, split=split, progress=progress)
    calibration = choose_thresholds(scored.scores, scored.true_labels, scored.classes,
                                    target_false_accept=target_false_accept,
                                    previous=clip_model.detection_thresholds(), speakers=scored.speakers)  # fmt: skip
    calibration.skipped_files = skipped_files(scored)
    if dry_run:
        return calibration, None
    return calibration, write_thresholds(path, calibration.thresholds, backup=backup)

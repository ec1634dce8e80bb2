"""Classification metrics for keyword spotting, in plain numpy.

In: true and predicted class indices, per-class scores. Out: confusion matrices, recall/precision,
balanced accuracy, false-accept rates, ROC and precision-recall curves and their areas.

Keyword spotting has two views of the same predictions:

- the *class* view: every model class (``on``, ``off``, ``_unknown_``, ``_silence_``...) is scored on
  its own (confusion matrix, per-class recall and precision, one-vs-rest ROC-AUC);
- the *keyword* view: a **keyword** is a class whose name does not start with ``_``; every other
  class is a way of saying "no keyword", so they merge into one ``reject`` group. Balanced accuracy
  is the mean recall of the keywords and ``reject``; a **false accept** is a non-keyword clip
  predicted (or detected) as a keyword. This is what a device user feels.

Undefined figures (the recall of a class with no clips, the AUC of a class with no negatives) are
``None``, never 0 and never NaN, so they survive JSON and cannot be mistaken for measurements.
Every figure of a few hundred clips carries sampling error; ``bootstrap_intervals`` gives its
range by resampling *speakers* (a speaker's clips stay together: they are not independent).
This module does not run models: see ``harken.evaluation.scoring``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harken.errors import SettingsError

REJECT = "reject"

__all__ = [
    "REJECT",
    "average_precision",
    "bootstrap_difference",
    "bootstrap_intervals",
    "confusion_matrix",
    "is_keyword",
    "keyword_view",
    "per_class_recall_precision",
    "precision_recall_curve",
    "roc_auc",
    "roc_curve",
]


def is_keyword(name: str) -> bool:
    """A keyword is a class whose name does not start with ``_`` (``_unknown_`` is not one).

    Examples
    --------
    >>> [is_keyword(c) for c in ("on", "_unknown_", "_silence_")]
    [True, False, False]
    """
    return not name.startswith("_")


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, *, num_true: int, num_predicted: int) -> np.ndarray:
    """Counts ``[true class, predicted class]`` (int64).

    Parameters
    ----------
    true, predicted : np.ndarray [shape=(n,), int]
        Class indices in ``[0, num_true)`` and ``[0, num_predicted)``.

    Examples
    --------
    >>> confusion_matrix(np.array([0, 0, 1]), np.array([0, 1, 1]), num_true=2, num_predicted=2).tolist()
    [[1, 1], [0, 1]]
    """
    true = np.asarray(true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    if true.shape != predicted.shape or true.ndim != 1:
        raise SettingsError(f"true {true.shape} and predicted {predicted.shape} must be 1-D and of one length")
    for name, values, size in (("true", true, num_true), ("predicted", predicted, num_predicted)):
        if values.size and (values.min() < 0 or values.max() >= size):
            raise SettingsError(f"{name} class indices must be in [0, {size}), got [{values.min()}, {values.max()}]")
    matrix = np.zeros((num_true, num_predicted), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator > 0 else None


def per_class_recall_precision(
    matrix: np.ndarray, true_labels: Sequence[str], predicted_labels: Sequence[str]
) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """Recall of every true label and precision of every predicted label of a confusion matrix.

    A label counts as correct where the true and predicted names are equal, so the matrix need not
    be square (a true ``_unknown_`` row for a model without that class has no correct column).
    """
    recall, precision = {}, {}
    for i, name in enumerate(true_labels):
        j = list(predicted_labels).index(name) if name in predicted_labels else None
        recall[name] = _ratio(matrix[i, j] if j is not None else 0, matrix[i].sum())
    for j, name in enumerate(predicted_labels):
        i = list(true_labels).index(name) if name in true_labels else None
        precision[name] = _ratio(matrix[i, j] if i is not None else 0, matrix[:, j].sum())
    return recall, precision


def _keyword_outcomes(true_labels: Sequence[str], predicted_labels: Sequence[str]) -> tuple[np.ndarray, ...]:
    """Per clip: a keyword?, predicted as a keyword?, right in the keyword view (a keyword named
    right; a non-keyword not taken for any keyword)."""
    true_kw = np.array([is_keyword(t) for t in true_labels], dtype=bool)
    pred_kw = np.array([p != REJECT and is_keyword(p) for p in predicted_labels], dtype=bool)
    same = np.array([t == p for t, p in zip(true_labels, predicted_labels)], dtype=bool)
    return true_kw, pred_kw, np.where(true_kw, same, ~pred_kw)


def keyword_view(
    true_labels: Sequence[str], predicted_labels: Sequence[str], *, order: Sequence[str] = ()
) -> tuple[dict[str, float | None], float | None, float | None, int]:
    """Keyword-view figures of paired label lists (a predicted label may be ``reject``).

    Returns
    -------
    (recall, balanced_accuracy, false_accept_rate, num_false_accepts)
        ``recall`` has every keyword among the true labels (in ``order``, then alphabetically), then
        ``reject`` (every non-keyword
        true label); ``balanced_accuracy`` is their mean over groups that have clips; the false-accept
        rate is false accepts over non-keyword clips.

    Examples
    --------
    >>> r, bal, far, n = keyword_view(["on", "on", "_unknown_", "_silence_"], ["on", "reject", "on", "_unknown_"])
    >>> r, bal, far, n
    ({'on': 0.5, 'reject': 0.5}, 0.5, 0.5, 1)
    """
    true_kw, pred_kw, right = _keyword_outcomes(true_labels, predicted_labels)
    recall: dict[str, float | None] = {}
    seen = {t for t in true_labels if is_keyword(t)}
    for keyword in [k for k in order if k in seen] + sorted(seen - set(order)):
        rows = np.array([t == keyword for t in true_labels], dtype=bool)
        recall[keyword] = _ratio(np.sum(right & rows), rows.sum())
    non_keyword = ~true_kw
    num_false_accepts = int(np.sum(non_keyword & pred_kw))
    recall[REJECT] = _ratio(np.sum(right & non_keyword), non_keyword.sum())
    present = [v for v in recall.values() if v is not None]
    balanced = float(np.mean(present)) if present else None
    return recall, balanced, _ratio(num_false_accepts, non_keyword.sum()), num_false_accepts


def _speaker_counts(true_labels, predicted_labels, speaker_index, num_speakers: int, groups: list[str]):
    """Per speaker and keyword-view group (keywords, then reject): clips, and clips answered right."""
    true_kw, _, right = _keyword_outcomes(true_labels, predicted_labels)
    group_of = np.array([groups.index(t) if k else len(groups) - 1 for t, k in zip(true_labels, true_kw)])
    clips = np.zeros((num_speakers, len(groups)))
    hits = np.zeros((num_speakers, len(groups)))
    np.add.at(clips, (speaker_index, group_of), 1.0)
    np.add.at(hits, (speaker_index, group_of), right.astype(float))
    return clips, hits


def _resampled_figures(draws: np.ndarray, clips: np.ndarray, hits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each resample's recall per group [resamples, groups] (NaN: no clips) and balanced accuracy."""
    with np.errstate(invalid="ignore", divide="ignore"):
        per_group = (draws @ hits) / (draws @ clips)
        balanced = np.nansum(per_group, axis=1) / (~np.isnan(per_group)).sum(axis=1)  # over groups with clips
    return per_group, balanced


def _bootstrap(true_labels, predictions: list, speakers, order, num_resamples: int, level: float, seed: int):
    """Resampled (per_group, balanced) of each prediction list over the same speaker draws, and the groups."""
    if any(len(p) != len(true_labels) for p in predictions) or len(speakers) != len(true_labels):
        raise SettingsError(f"{len(true_labels)} true labels, {[len(p) for p in predictions]} predictions and "
                            f"{len(speakers)} speakers; give one of each per clip")
    if not 0.0 < level < 1.0 or num_resamples < 1:
        raise SettingsError(f"bootstrap level={level}, num_resamples={num_resamples}: use 0 < level < 1 and >= 1 resample")
    recall, _, _, _ = keyword_view(true_labels, predictions[0], order=order)
    groups = list(recall)  # keywords in order, then reject
    names, speaker_index = np.unique(np.asarray(speakers, dtype=str), return_inverse=True)
    rng = np.random.default_rng(seed)
    draws = np.stack([np.bincount(rng.integers(0, len(names), len(names)), minlength=len(names))
                      for _ in range(num_resamples)]).astype(float)  # [resamples, speakers]: times drawn
    figures = [_resampled_figures(draws, *_speaker_counts(true_labels, p, speaker_index, len(names), groups))
               for p in predictions]
    return figures, groups, len(names)


def _interval(values: np.ndarray, level: float, num_resamples: int) -> list[float] | None:
    """The central ``level`` share of the defined values; None when many resamples had no clips for it."""
    values = values[~np.isnan(values)]
    if len(values) < 0.9 * num_resamples:  # a group missing from many resamples has no stable range
        return None
    tail = 100.0 * (1.0 - level) / 2.0
    return [float(v) for v in np.percentile(values, [tail, 100.0 - tail])]


def bootstrap_intervals(
    true_labels: Sequence[str],
    predicted_labels: Sequence[str],
    speakers: Sequence[str],
    *,
    order: Sequence[str] = (),
    num_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict:
    """Percentile intervals of the keyword-view figures, resampling speakers with replacement.

    Each resample draws as many speakers as there are, with replacement, and takes all their clips
    (a cluster bootstrap: one speaker's clips succeed or fail together, so resampling clips would
    give too narrow a range). The same ``seed`` gives the same intervals.

    Returns
    -------
    dict
        ``{"level", "num_resamples", "num_speakers", "balanced_accuracy": [low, high],
        "false_accept_rate": [low, high], "recall": {group: [low, high]}}``; a figure with no clips
        in too many resamples is None.

    Examples
    --------
    >>> true = ["on"] * 4 + ["_unknown_"] * 4
    >>> ci = bootstrap_intervals(true, true, [f"s{i}" for i in range(8)], num_resamples=50)
    >>> ci["balanced_accuracy"], ci["false_accept_rate"]
    ([1.0, 1.0], [0.0, 0.0])
    """
    [(per_group, balanced)], groups, num_speakers = _bootstrap(
        true_labels, [predicted_labels], speakers, order, num_resamples, level, seed)
    reject = _interval(per_group[:, -1], level, num_resamples)
    return {
        "level": level, "num_resamples": num_resamples, "num_speakers": num_speakers,
        "balanced_accuracy": _interval(balanced, level, num_resamples),
        "false_accept_rate": None if reject is None else [1.0 - reject[1], 1.0 - reject[0]],
        "recall": {g: _interval(per_group[:, i], level, num_resamples) for i, g in enumerate(groups)},
    }


def bootstrap_difference(
    true_labels: Sequence[str],
    predicted_labels: Sequence[str],
    baseline_labels: Sequence[str],
    speakers: Sequence[str],
    *,
    order: Sequence[str] = (),
    num_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict:
    """Model minus baseline on the same clips: each figure's difference and its range over speakers.

    Both are scored on the same resampled speakers (a paired bootstrap), so what the two models
    share (hard speakers, easy speakers) cancels: a difference of a point or two can be resolved
    where the two separate ranges overlap. A range that excludes 0 is a resolved difference.

    Returns
    -------
    dict
        ``{"level", "num_resamples", "num_speakers", "balanced_accuracy": {"difference", "range"},
        "false_accept_rate": {...}, "recall": {group: {...}}}``; a range is None when many resamples
        had no clips of that group.
    """
    (model, baseline), groups, num_speakers = _bootstrap(
        true_labels, [predicted_labels, baseline_labels], speakers, order, num_resamples, level, seed)
    now, balanced_now, _, _ = keyword_view(true_labels, predicted_labels, order=order)
    before, balanced_before, _, _ = keyword_view(true_labels, baseline_labels, order=order)

    def entry(a: float | None, b: float | None, resampled: np.ndarray, sign: float = 1.0) -> dict:
        difference = None if a is None or b is None else sign * (a - b)
        bounds = _interval(sign * resampled, level, num_resamples)
        return {"difference": difference, "range": bounds}

    return {
        "level": level, "num_resamples": num_resamples, "num_speakers": num_speakers,
        "balanced_accuracy": entry(balanced_now, balanced_before, model[1] - baseline[1]),
        "false_accept_rate": entry(now[REJECT], before[REJECT], model[0][:, -1] - baseline[0][:, -1], sign=-1.0),
        "recall": {g: entry(now[g], before[g], model[0][:, i] - baseline[0][:, i]) for i, g in enumerate(groups)},
    }


def _check_binary(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    if scores.shape != positive.shape or scores.ndim != 1:
        raise SettingsError(f"scores {scores.shape} and positive {positive.shape} must be 1-D and of one length")
    if not np.all(np.isfinite(scores)):
        raise SettingsError("scores must be finite")
    return scores, positive


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve: the chance a random positive scores above a random negative.

    Ties count one half (Mann-Whitney U with average ranks). ``None`` when there are no positives
    or no negatives.

    Examples
    --------
    >>> roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True]))
    0.75
    """
    scores, positive = _check_binary(scores, positive)
    num_pos, num_neg = int(positive.sum()), int((~positive).sum())
    if num_pos == 0 or num_neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(scores.size, dtype=np.float64)
    # Average rank (1-based) for every run of equal scores.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], scores.size]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    u = ranks[positive].sum() - num_pos * (num_pos + 1) / 2.0
    return float(u / (num_pos * num_neg))


def _cumulative_counts(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True/false positives at every distinct threshold, highest threshold first."""
    order = np.argsort(-scores, kind="mergesort")
    scores, positive = scores[order], positive[order]
    last_of_run = np.r_[scores[1:] != scores[:-1], True]
    tp = np.cumsum(positive)[last_of_run]
    fp = np.cumsum(~positive)[last_of_run]
    return tp, fp, scores[last_of_run]


def roc_curve(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC points ``(false_positive_rate, true_positive_rate, thresholds)``, from (0, 0) to (1, 1).

    Point ``k`` counts a clip positive when its score is ``>= thresholds[k]``; the first point has
    threshold ``+inf``. Rates are NaN for an empty class (use :func:`roc_auc` to test for that).
    """
    scores, positive = _check_binary(scores, positive)
    tp, fp, thresholds = _cumulative_counts(scores, positive)
    num_pos, num_neg = max(int(positive.sum()), 0), max(int((~positive).sum()), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.r_[0.0, tp / num_pos] if num_pos else np.full(tp.size + 1, np.nan)
        fpr = np.r_[0.0, fp / num_neg] if num_neg else np.full(fp.size + 1, np.nan)
    return fpr, tpr, np.r_[np.inf, thresholds]


def precision_recall_curve(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision-recall points ``(precision, recall, thresholds)``, highest threshold first.

    Point ``k`` counts a clip positive when its score is ``>= thresholds[k]``.
    """
    scores, positive = _check_binary(scores, positive)
    tp, fp, thresholds = _cumulative_counts(scores, positive)
    num_pos = int(positive.sum())
    precision = tp / np.maximum(tp + fp, 1)
    recall = tp / num_pos if num_pos else np.full(tp.size, np.nan)
    return precision, recall, thresholds


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the precision-recall steps: sum of (recall step) x precision. ``None`` without positives.

    Examples
    --------
    >>> average_precision(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]))
    0.8333333333333333
    """
    scores, positive = _check_binary(scores, positive)
    if not positive.any():
        return None
    precision, recall, _ = precision_recall_curve(scores, positive)
    steps = np.diff(np.r_[0.0, recall])
    return float(np.sum(steps * precision))

"""Evaluate a model on a folder of labelled clips, the way the firmware would run it.

In: a model (``.tflite``/``.keras`` path, or a spec NAME) and a directory dataset (class folders).
Out: :class:`ScoredClips` (every clip's scores) and :class:`Evaluation` (the figures), saved as
``eval-results.json``, ``eval-predictions.csv`` and PNG plots.

Dataset classes the model lacks are counted as ``_unknown_`` (``yes`` for an on/off model; and
``_silence_`` for a model without a silence class). Figures come in two views (see
``harken.evaluation.metrics``): per model class, and keywords versus ``reject``. One clip is one inference, so
the firmware's averaged score is the clip's score; "detected as c" means that c is the top class
and its uint8 score is ``>= threshold_c`` of the embedded ``detection_threshold_list``; otherwise
the clip is rejected. Streaming evaluation (many windows per recording) is not done here.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harken.evaluation import metrics
from harken.evaluation.saving import save_evaluation, text_path
from harken.datasets.directory import UNKNOWN_CLASS
from harken.errors import AudioError, DatasetError, HarkenError, ModelFileError, SettingsError
from harken.runtime.clip_model import MODEL_SUFFIXES, ClipModel, load_clip_model

log = logging.getLogger(__name__)


Progress = Callable[[int, int], None]

__all__ = [
    "Evaluation", "ScoredClips", "evaluate_model", "evaluate_scores", "map_label", "resolve_model",
    "save_evaluation", "score_clips", "score_dataset",
]  # fmt: skip


@dataclass(slots=True, kw_only=True)
class ScoredClips:
    """Every clip's scores. ``labels``: dataset classes; ``true_labels``: mapped to the model;
    ``speakers``: who spoke each clip (for the confidence intervals; empty when unknown);
    ``skipped``: the files left out (bad files of the dataset, clips that cannot be read) with the reason."""

    classes: tuple[str, ...]
    paths: tuple[str, ...]
    labels: tuple[str, ...]
    true_labels: tuple[str, ...]
    probabilities: np.ndarray  # [n, classes] float32
    scores: np.ndarray  # [n, classes] uint8, the firmware's 0..255 scale
    speakers: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason) of every file left out


@dataclass(slots=True, kw_only=True)
class Evaluation:
    """The figures of one evaluation (``None`` = undefined, e.g. recall of a class without clips).

    ``intervals`` holds the 95 % ranges of the keyword-view figures over speakers resampled
    (:func:`harken.evaluation.metrics.bootstrap_intervals`); None when the clips' speakers are unknown.
    ``baseline`` holds the differences from another model on the same clips
    (:func:`compare_scores`), when one was given. ``skipped_files`` lists every file left out
    (``{"path", "reason"}``): the dataset's bad files and clips that could not be read.
    """

    model: str
    dataset: str
    num_clips: int
    classes: list[str]
    clip_counts: dict[str, int]
    accuracy: float
    balanced_accuracy: float | None
    keyword_recall: dict[str, float | None]
    false_accept_rate: float | None
    num_false_accepts: int
    false_accepts_by_label: dict[str, int]
    class_recall: dict[str, float | None]
    class_precision: dict[str, float | None]
    roc_auc: dict[str, float | None]
    average_roc_auc: float | None
    average_precision: dict[str, float | None]
    confusion_matrix: dict[str, object]
    detection: dict[str, object] | None
    intervals: dict[str, object] | None = None
    baseline: dict[str, object] | None = None
    skipped_files: list[dict[str, str]] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON types."""
        return dataclasses.asdict(self)


def map_label(label: str, classes: Sequence[str]) -> str:
    """A dataset class as the model sees it: itself if the model has it, else ``_unknown_``.

    Examples
    --------
    >>> [map_label(c, ("on", "off", "_unknown_")) for c in ("on", "yes", "_silence_")]
    ['on', '_unknown_', '_unknown_']
    """
    return label if label in classes else UNKNOWN_CLASS


def resolve_model(model: str | os.PathLike) -> Path:
    """A model file from a path, or from a spec NAME (``NAME.tflite`` in the spec's work directory).

    Raises
    ------
    ModelFileError
        A NAME whose model was not trained yet, or (without the spec module) any NAME.
    SpecError
        No spec of that name on the search path.
    """
    path = Path(model).expanduser()
    if path.suffix.lower() in MODEL_SUFFIXES or path.exists():
        return path
    try:
        from harken.spec.loader import find_spec
    except ImportError:
        raise ModelFileError(
            f"{model}: not a model file, and evaluating a model NAME needs the spec module (harken.spec.loader), "
            "which this installation lacks; give the .tflite or .keras file instead"
        ) from None
    spec = find_spec(str(model))  # SpecError naming the search path when there is no such spec
    work = spec.work_dir()
    for candidate in (work / f"{spec.name}.tflite", work / f"{spec.name}.keras"):
        if candidate.is_file():
            return candidate
    raise ModelFileError(
        f"{work}: no {spec.name}.tflite or {spec.name}.keras; run 'harken train {model}' first, or give the model file"
    )


def spec_split_settings(model: str | os.PathLike, dataset: str | os.PathLike) -> dict | None:
    """How spec ``model`` (a NAME) split the folder ``dataset``: ``validation_percentage``,
    ``testing_percentage`` and ``speaker_manifest``.

    None when ``model`` is a file, its spec cannot be loaded, or it trains on no such folder: the
    caller then uses its defaults.
    """
    if Path(model).expanduser().suffix.lower() in MODEL_SUFFIXES or Path(model).expanduser().exists():
        return None
    try:
        from harken.spec.loader import find_spec

        spec = find_spec(str(model))
    except (ImportError, HarkenError) as exc:
        log.info("%s: split percentages not taken from the spec (%s)", model, exc)
        return None
    target = Path(dataset).expanduser().resolve()
    for source in spec.datasets:
        if source.directory is not None and Path(source.directory).expanduser().resolve() == target:
            return {"validation_percentage": float(source.validation_percentage),
                    "testing_percentage": float(source.testing_percentage),
                    "speaker_manifest": source.speaker_manifest}
    return None


def score_clips(
    model: ClipModel,
    paths: Sequence[str],
    labels: Sequence[str],
    *,
    speakers: Sequence[str] | None = None,
    batch_size: int = 256,
    progress: Progress | None = None,
) -> ScoredClips:
    """Read, front-end and score clips (each padded or cut to ``fe.sample_length_ms``).

    ``speakers`` default to those of the file names (``harken.datasets.splits.speaker_of``).
    ``progress(done, total)`` is called after every batch.
    """
    from harken.audio.io import fit_length, read_audio
    from harken.datasets.splits import speaker_of
    from harken.frontend import compute_spectrograms

    if len(paths) != len(labels):
        raise SettingsError(f"{len(paths)} paths but {len(labels)} labels; give one label per clip")
    if speakers is None:
        speakers = [speaker_of(os.path.basename(p)) for p in paths]
    if len(speakers) != len(paths):
        raise SettingsError(f"{len(paths)} paths but {len(speakers)} speakers; give one speaker per clip")
    if not paths:
        raise DatasetError("no clips to evaluate")
    fe = model.frontend
    probabilities, scores, kept, skipped = [], [], [], []
    for start in range(0, len(paths), batch_size):
        batch = []
        for i in range(start, min(start + batch_size, len(paths))):
            try:
                batch.append(fit_length(read_audio(paths[i], sample_rate_hz=fe.sample_rate_hz)[0], fe.sample_length))
            except AudioError as exc:  # one bad clip never sinks the run: it is left out and reported
                skipped.append(_skip(paths[i], exc))
                continue
            kept.append(i)
        if batch:
            p, s = model.predict(compute_spectrograms(np.stack(batch), fe, dtype="int8"))
            probabilities.append(p)
            scores.append(s)
        if progress is not None:
            progress(min(start + batch_size, len(paths)), len(paths))
    if not kept:
        raise DatasetError(f"none of the {len(paths)} clips could be read (first: {skipped[0][0]}: {skipped[0][1]})")
    return ScoredClips(
        classes=model.classes, paths=tuple(str(paths[i]) for i in kept), labels=tuple(labels[i] for i in kept),
        true_labels=tuple(map_label(labels[i], model.classes) for i in kept),
        probabilities=np.concatenate(probabilities), scores=np.concatenate(scores),
        speakers=tuple(speakers[i] for i in kept), skipped=tuple(skipped),
    )  # fmt: skip


def skipped_files(scored: ScoredClips) -> list[dict[str, str]]:
    """The files left out, as JSON rows ``{"path", "reason"}`` (non-UTF-8 name bytes escaped)."""
    return [{"path": text_path(path), "reason": reason} for path, reason in scored.skipped]


def _skip(path: str | os.PathLike, exc: HarkenError) -> tuple[str, str]:
    """(path, reason) of a clip left out, logged as a warning; the reason without the path it starts with."""
    path, message = str(path), str(exc)
    reason = message[len(path) + 2 :] if message.startswith(f"{path}: ") else message
    log.warning("%s: left out (%s)", path, reason)
    return path, reason


def score_dataset(
    model: ClipModel,
    root: str | os.PathLike,
    *,
    split: str | None = None,
    split_percentages: tuple[float, float] = (10.0, 10.0),
    speaker_manifest: str | os.PathLike | None = None,
    batch_size: int = 256,
    progress: Progress | None = None,
) -> ScoredClips:
    """Score every clip of a directory dataset (or one ``split`` of it: training/validation/testing,
    by speaker hash with ``split_percentages`` = (validation %, testing %) and the speakers and
    splits of ``speaker_manifest``, as the spec that trained on it used)."""
    from harken.datasets import DirectorySettings, load_directory_dataset

    validation_percentage, testing_percentage = split_percentages
    dataset = load_directory_dataset(root, DirectorySettings(
        validation_percentage=validation_percentage, testing_percentage=testing_percentage,
        speaker_manifest=str(speaker_manifest) if speaker_manifest is not None else None))
    samples = [s for s in (dataset.samples if split is None else dataset.split(split)) if s.path is not None]
    if not samples:
        raise DatasetError(f"{root}: no clips{f' in split {split!r}' if split else ''} to evaluate")
    for keyword in (c for c in model.classes if metrics.is_keyword(c)):
        if not any(s.label == keyword for s in samples):
            log.warning("%s: no clips of the model's keyword %r; its recall is undefined", root, keyword)
    scored = score_clips(model, [s.path for s in samples], [s.label for s in samples],
                         speakers=[s.speaker for s in samples], batch_size=batch_size, progress=progress)  # fmt: skip
    bad = tuple((b.path, b.reason) for b in dataset.bad_files)
    return dataclasses.replace(scored, skipped=bad + scored.skipped)


def _confusion(true: Sequence[str], predicted: Sequence[str], rows: list[str], columns: list[str]) -> dict:
    t = np.array([rows.index(x) for x in true], dtype=np.int64)
    p = np.array([columns.index(x) for x in predicted], dtype=np.int64)
    matrix = metrics.confusion_matrix(t, p, num_true=len(rows), num_predicted=len(columns))
    return {"true": rows, "predicted": columns, "counts": matrix.tolist()}


def detect(scores: np.ndarray, classes: Sequence[str], thresholds: Sequence[int]) -> list[str]:
    """The firmware's decision per clip: the top class if its uint8 score >= its threshold, else ``reject``."""
    top = np.argmax(scores, axis=1)
    hit = scores[np.arange(scores.shape[0]), top] >= np.asarray(thresholds)[top]
    return [classes[c] if h else metrics.REJECT for c, h in zip(top, hit)]


def _detection_figures(scored: ScoredClips, thresholds: Sequence[int]) -> dict:
    detected = detect(scored.scores, scored.classes, thresholds)
    recall, balanced, far, num_fa = metrics.keyword_view(scored.true_labels, detected, order=scored.classes)
    as_group = [t if metrics.is_keyword(t) else metrics.REJECT for t in scored.true_labels]
    outcome = [d if metrics.is_keyword(d) else metrics.REJECT for d in detected]
    groups = [c for c in scored.classes if metrics.is_keyword(c)] + [metrics.REJECT]
    return {
        "intervals": _intervals(scored, detected),
        "thresholds": dict(zip(scored.classes, (int(t) for t in thresholds))),
        "accuracy": float(np.mean([a == b for a, b in zip(as_group, outcome)])),
        "balanced_accuracy": balanced, "keyword_recall": recall,
        "false_accept_rate": far, "num_false_accepts": num_fa,
        "confusion_matrix": _confusion(as_group, outcome, groups, groups),
    }  # fmt: skip


def _intervals(scored: ScoredClips, predicted: Sequence[str]) -> dict | None:
    """95 % ranges over speakers resampled (seeded: the same clips give the same ranges)."""
    if not scored.speakers:
        return None
    return metrics.bootstrap_intervals(scored.true_labels, predicted, scored.speakers, order=scored.classes)


def evaluate_scores(
    scored: ScoredClips, *, thresholds: Sequence[int] | None = None, model: str = "", dataset: str = ""
) -> Evaluation:
    """All figures of scored clips; ``thresholds`` (0..255 per class) adds the ``detection`` figures.

    Examples
    --------
    >>> ev = evaluate_scores(scored, thresholds=[200, 200, 255])  # doctest: +SKIP
    >>> ev.balanced_accuracy, ev.detection["false_accept_rate"]  # doctest: +SKIP
    """
    classes = list(scored.classes)
    if thresholds is not None and len(thresholds) != len(classes):
        raise SettingsError(f"{len(thresholds)} thresholds for {len(classes)} classes {classes}; give one per class")
    top = np.argmax(scored.probabilities, axis=1)
    predicted = [classes[i] for i in top]
    true = list(scored.true_labels)
    rows = classes + sorted({t for t in true if t not in classes})
    confusion = _confusion(true, predicted, rows, classes)
    class_recall, class_precision = metrics.per_class_recall_precision(
        np.array(confusion["counts"]), rows, classes)  # fmt: skip
    keyword_recall, balanced, far, num_fa = metrics.keyword_view(true, predicted, order=classes)
    false_accepts = Counter(label for label, t, p in zip(scored.labels, true, predicted)
                            if not metrics.is_keyword(t) and metrics.is_keyword(p))  # fmt: skip
    auc, ap = {}, {}
    for i, name in enumerate(classes):
        positive = np.array([t == name for t in true], dtype=bool)
        auc[name] = metrics.roc_auc(scored.probabilities[:, i], positive)
        ap[name] = metrics.average_precision(scored.probabilities[:, i], positive)
    defined = [v for v in auc.values() if v is not None]
    return Evaluation(
        model=model, dataset=dataset, num_clips=len(true), classes=classes,
        clip_counts=dict(sorted(Counter(scored.labels).items())),
        accuracy=float(np.mean([t == p for t, p in zip(true, predicted)])),
        balanced_accuracy=balanced, keyword_recall=keyword_recall,
        false_accept_rate=far, num_false_accepts=num_fa, false_accepts_by_label=dict(false_accepts.most_common()),
        class_recall=class_recall, class_precision=class_precision,
        roc_auc=auc, average_roc_auc=float(np.mean(defined)) if defined else None, average_precision=ap,
        confusion_matrix=confusion,
        detection=_detection_figures(scored, thresholds) if thresholds is not None else None,
        intervals=_intervals(scored, predicted),
        skipped_files=skipped_files(scored),
    )  # fmt: skip


def _top_class(scored: ScoredClips) -> list[str]:
    return [scored.classes[i] for i in np.argmax(scored.probabilities, axis=1)]


def compare_scores(scored: ScoredClips, baseline: ScoredClips, *, baseline_name: str = "") -> dict:
    """The model's top-class figures minus the baseline's, on the same clips, with paired 95 % ranges.

    The speakers are resampled once for both models (:func:`harken.evaluation.metrics.bootstrap_difference`),
    so a range that excludes 0 is a difference these speakers resolve.
    """
    if scored.paths != baseline.paths:
        raise SettingsError("the baseline was scored on other clips; score both models on the same dataset and split")
    if scored.classes != baseline.classes:
        raise SettingsError(f"the baseline's classes {list(baseline.classes)} differ from the model's "
                            f"{list(scored.classes)}; compare models of the same classes")
    speakers = scored.speakers or scored.paths  # unknown speakers: every clip its own
    difference = metrics.bootstrap_difference(scored.true_labels, _top_class(scored), _top_class(baseline), speakers,
                                              order=scored.classes)  # fmt: skip
    return {"model": baseline_name, **difference}


def evaluate_model(
    model: str | os.PathLike | ClipModel,
    dataset: str | os.PathLike,
    *,
    split: str | None = None,
    split_percentages: tuple[float, float] = (10.0, 10.0),
    speaker_manifest: str | os.PathLike | None = None,
    settings: str | os.PathLike | None = None,
    classes: Sequence[str] | None = None,
    progress: Progress | None = None,
    interpreter: str = "tflm",
) -> tuple[Evaluation, ScoredClips]:
    """Load a model, score a dataset and compute every figure (embedded thresholds included).

    Examples
    --------
    >>> ev, scored = evaluate_model("on_off.tflite", "speech_commands_dev")  # doctest: +SKIP
    >>> round(ev.balanced_accuracy, 3)  # doctest: +SKIP
    0.905
    """
    if not isinstance(model, ClipModel):
        model = load_clip_model(resolve_model(model), settings=settings, classes=classes, interpreter=interpreter)
    scored = score_dataset(model, dataset, split=split, split_percentages=split_percentages,
                           speaker_manifest=speaker_manifest, progress=progress)
    evaluation = evaluate_scores(scored, thresholds=model.detection_thresholds(), model=model.path,
                                 dataset=str(Path(dataset).expanduser().resolve()))  # fmt: skip
    return evaluation, scored

"""The whole training job: a spec in; the best Keras model, int8 .tflite, validation figures and archive out.

Three levels, each usable alone (Keras progressive disclosure):

- ``harken train NAME`` (CLI) -> :func:`train` (data, fit, quantize, evaluate, summaries, archive);
- :func:`harken.training.fit.fit` runs Keras ``fit`` on a ``TrainingData`` with the spec's schedule and callbacks;
- :func:`harken.training.build.build_model_for_spec` + :func:`harken.training.fit.compile_for_spec` give the
  model for your own loop.

Files in the work directory (``$HARKEN_HOME/models/NAME``): those of ``fit`` (``best.weights.h5``,
``state/``, ``history.json`` / ``history.png``), ``NAME.keras``, ``NAME.tflite`` (int8),
``NAME.float32.tflite``, ``representative.npy``, ``summary.txt``, ``summary_tflite.txt``,
``validation_results.json``; with ``training.ensemble_size`` > 1, ``members/1`` ... each member's
(``harken.training.ensemble``). It does not make the data (``harken.pipeline.batches``) or define the
model (``harken.models``).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harken._util.atomic import atomic_path, write_json_atomic, write_text_atomic
from harken.spec.model_spec import ModelSpec
from harken.training import ensemble, leftovers, runs
from harken.training.build import build_model_for_spec
from harken.training.fit import FitResult, fit
from harken.training.initial_weights import initial_weights_file, load_initial_weights

log = logging.getLogger(__name__)


@dataclass(slots=True, kw_only=True)
class TrainResult:
    """What :func:`train` produced (paths, figures); after Ctrl-C, ``interrupted`` names the step it stopped."""

    fit: FitResult
    interrupted: str | None = None  # what Ctrl-C stopped: "training", "quantization and evaluation", ...
    keras_path: Path | None = None
    archive_path: Path | None = None
    quantization: Any = None
    validation: dict[str, Any] = field(default_factory=dict)


def validation_results(y_true: np.ndarray, probabilities: np.ndarray, class_names) -> dict[str, Any]:
    """Overall and per-class accuracy of ``probabilities`` [n, classes] against ``y_true`` [n]."""
    predicted = np.argmax(probabilities, axis=-1)
    y_true = np.asarray(y_true)
    per_class = {}
    for i, name in enumerate(class_names):
        mask = y_true == i
        per_class[name] = {"count": int(mask.sum()),
                           "accuracy": float((predicted[mask] == i).mean()) if mask.any() else None}
    return {"accuracy": float((predicted == y_true).mean()) if len(y_true) else None,
            "count": int(len(y_true)), "per_class": per_class}


def train(spec: ModelSpec, *, resume: bool = False, quiet: bool = True, data=None, workers: int | None = None,
          write_archive: bool = True) -> TrainResult:
    """Train the spec's model, then quantize, evaluate on the validation split and write the archive.

    Parameters
    ----------
    spec : ModelSpec
        From :func:`harken.spec.loader.find_spec` (``NAME-test`` gives a dry run).
    resume : bool
        Continue an interrupted run from its last finished epoch.
    data : TrainingData, optional
        Default: ``harken.pipeline.batches.build_training_data(spec, dry_run=spec.dry_run, ...)``.

    Examples
    --------
    >>> from harken.spec.loader import find_spec
    >>> result = train(find_spec("keyword_spotting_on_off-test"))  # doctest: +SKIP
    >>> result.archive_path.name  # doctest: +SKIP
    'keyword_spotting_on_off-test.harken.zip'
    """
    try:
        if data is None:
            from harken.pipeline.data import build_training_data

            data = build_training_data(spec, dry_run=spec.dry_run, workers=workers, quiet=quiet)
        start = initial_weights_file(spec, train_base=lambda base: train(base, resume=resume, quiet=quiet,
                                                                         workers=workers))
    except KeyboardInterrupt:  # the work directory is as it was
        nothing = FitResult(work_dir=spec.work_dir(), history={}, best_epoch=None, best_value=None, epochs_done=0)
        return TrainResult(fit=nothing, interrupted=runs.NOT_STARTED)
    if isinstance(start, TrainResult):  # the base spec's training was interrupted
        return start
    with leftovers.run_lock(spec.work_dir()):  # one run at a time; what a killed run left can go
        runs.start_run(spec, spec.work_dir(), resume=resume)
        return _train_locked(spec, data, start, resume=resume, quiet=quiet, workers=workers,
                             write_archive=write_archive)


def _train_locked(spec: ModelSpec, data, start: Path | None, *, resume: bool, quiet: bool, workers: int | None,
                  write_archive: bool) -> TrainResult:
    """:func:`train` once the data is made and the work directory locked and ready."""
    if spec.training.ensemble_size > 1:
        fitted, model = ensemble.fit_ensemble(spec, data, start, resume=resume, quiet=quiet, workers=workers)
    else:
        fitted, model = _fit_one_model(spec, data, start, resume=resume, quiet=quiet)
    result = TrainResult(fit=fitted)
    if fitted.interrupted:
        result.interrupted = "training"
        return result
    step = "saving the Keras model"
    try:  # Ctrl-C from here on: training is saved, and --resume redoes only what follows
        result.keras_path = fitted.work_dir / f"{spec.name}.keras"
        with atomic_path(result.keras_path, suffix=".keras") as tmp:
            model.save(tmp)
        step = "quantization and evaluation"
        _quantize_and_evaluate(spec, model, data, result)
        step = "writing the summaries and the archive"
        _write_summaries(spec, model, result)
        if write_archive:
            from harken.export import archive

            result.archive_path = archive.write_archive(spec, fitted.work_dir)
    except KeyboardInterrupt:
        result.interrupted = step
        return result
    runs.finish_run(fitted.work_dir)
    return result


def _fit_one_model(spec: ModelSpec, data, start: Path | None, *, resume: bool, quiet: bool) -> tuple[FitResult, Any]:
    """:func:`~harken.training.fit.fit` of one model from ``start``; the first member when ``start`` is an ensemble."""
    if not resume:  # a single model now: an earlier ensemble's members must not pass for its members
        shutil.rmtree(spec.work_dir() / ensemble.MEMBERS_DIR, ignore_errors=True)
    model = build_model_for_spec(spec)
    first = ensemble.member_start(start, 0, spec.name)
    if first != start:
        log.warning("%s: %s is an ensemble; fine-tuning its first member (set training.ensemble_size to "
                    "fine-tune each)", spec.name, start)
        start = first
    if start is not None:
        load_initial_weights(model, start, spec)
    return fit(spec, data, model=model, resume=resume, quiet=quiet), model


def _quantize_and_evaluate(spec: ModelSpec, model, data, result: TrainResult) -> None:
    """int8 conversion calibrated on validation spectrograms, then Keras, TFLM and LiteRT figures on them."""
    from harken.export import quantize
    from harken.runtime.runner import TfliteRunner, run_tflite

    folder, fitted = result.fit.work_dir, result.fit
    x_val, y_val = data.validation
    representative = quantize.representative_samples(x_val, spec.quantization.num_representative_samples,
                                                     seed=spec.seed)
    with atomic_path(folder / quantize.REPRESENTATIVE_FILE, suffix=".npy") as tmp:
        np.save(tmp, representative)
    result.quantization = quantize.quantize(spec, model=model, representative=representative, work_dir=folder)
    tflite_bytes = result.quantization.tflite_path.read_bytes()
    keras_scores = model.predict(x_val, batch_size=256, verbose=0)
    raw = run_tflite(tflite_bytes, x_val)  # the device's interpreter (TFLM) gives the int8 figures
    litert = run_tflite(tflite_bytes, x_val, interpreter="litert")
    litert_steps = np.abs(litert.astype(np.int32) - raw.astype(np.int32)).max(axis=1)
    result.validation = {
        "keras": validation_results(y_val, keras_scores, spec.classes),
        "int8_tflite": validation_results(y_val, TfliteRunner(tflite_bytes).dequantize(raw), spec.classes),
        "int8_interpreter": "tflm",
        "litert_clips_differing": int(np.count_nonzero(litert_steps)), "litert_max_step_difference": int(litert_steps.max()),
        "input_scale": result.quantization.input_scale, "input_zero_point": result.quantization.input_zero_point,
        "best_epoch": None if fitted.best_epoch is None else fitted.best_epoch + 1,
        "best_value": fitted.best_value, "monitor": spec.training.checkpoint_monitor,
        "ensemble_size": spec.training.ensemble_size,
    }
    write_json_atomic(folder / "validation_results.json", result.validation, indent=1)


def _write_summaries(spec: ModelSpec, model, result: TrainResult) -> None:
    """``summary.txt`` (Keras layers, MACs, settings) and ``summary_tflite.txt`` (the int8 operators)."""
    from harken.profile import summarize

    folder = result.fit.work_dir
    write_text_atomic(folder / "summary.txt", summarize.format_keras_summary(model, spec.model_params()) + "\n")
    tflite_bytes = result.quantization.tflite_path.read_bytes()
    write_text_atomic(folder / "summary_tflite.txt",
                      summarize.format_tflite_summary(summarize.tflite_summary(tflite_bytes)) + "\n")

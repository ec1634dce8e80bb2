"""Keras ``fit`` with a spec's schedule, checkpoints and resumable state.

In: a :class:`~harken.spec.model_spec.ModelSpec` and its data (a
``harken.pipeline.batches.TrainingData``: training batches, validation arrays, class names and
weights), optionally a model and extra Keras callbacks. Out: the model holding its best (or last)
weights, and a :class:`FitResult`. Files in the work directory: ``best.weights.h5``, ``state/``
(``harken.training.resume``), ``history.json`` / ``history.png``. Ctrl-C stops cleanly, keeping the
best checkpoint and the state of the last finished epoch. It does not make the data, convert or
evaluate (``harken.training.job`` does the whole job).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harken._util.atomic import atomic_path
from harken.errors import SettingsError
from harken.spec.model_spec import ModelSpec
from harken.spec.training import TrainingSettings
from harken.training.build import build_model_for_spec
from harken.training.history import plot_history
from harken.training.resume import BEST_WEIGHTS, STATE_DIR, load_state, saved_state

log = logging.getLogger(__name__)


@dataclass(slots=True, kw_only=True)
class FitResult:
    """What :func:`fit` did: the history (one list per metric, ``lr`` included) and the best epoch."""

    work_dir: Path
    history: dict[str, list[float]]
    best_epoch: int | None
    best_value: float | None
    epochs_done: int
    interrupted: bool = False
    stopped_early: bool = False
    branches: list[FitResult] = field(default_factory=list)  # an ensemble's members (``harken.training.ensemble``)


def compile_for_spec(model, spec: ModelSpec) -> None:
    """Compile with the spec's optimizer, sparse categorical cross-entropy and accuracy."""
    import keras

    optimizers = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
                  "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}
    t = spec.training
    try:
        optimizer = optimizers[t.optimizer](learning_rate=t.learning_rate, **t.optimizer_options)
    except TypeError as exc:
        raise SettingsError(f"training optimizer_options={t.optimizer_options}: {exc}") from None
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=False)


def fit(spec: ModelSpec, data, *, model=None, resume: bool = False, quiet: bool = True,
        work_dir: str | os.PathLike | None = None, callbacks: list | None = None) -> FitResult:
    """Train ``model`` (default: the spec's) on ``data`` (a ``harken.pipeline.batches.TrainingData``).

    ``resume`` continues from the last finished epoch saved in the work directory (a fresh start
    when there is none); without it, earlier state is removed. Returns after Ctrl-C too, with
    ``interrupted=True``. The model ends holding the best weights. ``callbacks`` (Keras callbacks)
    run after harken's own: a hook for research code (``bench/``) that needs to watch or steer training.
    """
    from harken.training.callbacks import TrainingState

    spec.validate()
    folder = Path(work_dir) if work_dir is not None else spec.work_dir()
    _prepare_folder(folder, resume=resume)
    if list(data.class_names) != list(spec.classes):
        raise SettingsError(f"the data's classes {list(data.class_names)} differ from the spec's {list(spec.classes)}")
    model = build_model_for_spec(spec) if model is None else model
    compile_for_spec(model, spec)
    saved = load_state(folder, model) if resume else None
    if resume and saved is None:
        log.warning("%s: nothing to resume; starting from epoch 1", folder)
    t = spec.training
    others = _plateau_callbacks(t, (saved or {}).get("callbacks", {}))
    state = TrainingState(folder, t.checkpoint_monitor, saved, others)
    steps_per_epoch = len(data.train)
    finished = _finished_before(t, saved, state.epochs_done, steps_per_epoch)
    if hasattr(data.train, "set_epoch"):
        data.train.set_epoch(state.epochs_done)
    interrupted = False
    if not finished:
        ours = [*_schedule_callbacks(t, steps_per_epoch), *others, state, *_progress(t, steps_per_epoch, quiet=quiet)]
        interrupted = _run_fit(spec, data, model, ours + list(callbacks or []), initial_epoch=state.epochs_done)
        if interrupted:  # what resuming would find: the state on disk, not a count in memory
            state.epochs_done = (saved_state(folder) or {}).get("epochs_done", 0)
            log.warning("training interrupted with %d epoch(s) saved; resume with --resume", state.epochs_done)
    if t.checkpoint_monitor is None and not finished and not interrupted:
        # the last epoch is kept: save the weights as fit left them (an EMA optimizer has just
        # swapped in its averages, which the end-of-epoch checkpoint did not see)
        with atomic_path(folder / BEST_WEIGHTS, suffix=".weights.h5") as tmp:
            model.save_weights(tmp)
    if (folder / BEST_WEIGHTS).is_file():
        model.load_weights(folder / BEST_WEIGHTS)
    if state.history:
        plot_history(state.history, folder / "history.png", title=spec.name, monitor=t.checkpoint_monitor or "last epoch")
    return FitResult(work_dir=folder, history=state.history, best_epoch=state.best_epoch, best_value=state.best,
                     epochs_done=state.epochs_done, interrupted=interrupted,
                     stopped_early=any(getattr(c, "stopped_epoch", 0) for c in others))


def _prepare_folder(folder: Path, *, resume: bool) -> None:
    """Create the work directory; without ``resume``, remove an earlier run's state and checkpoint."""
    folder.mkdir(parents=True, exist_ok=True)
    if not resume:
        shutil.rmtree(folder / STATE_DIR, ignore_errors=True)
        (folder / BEST_WEIGHTS).unlink(missing_ok=True)


def _plateau_callbacks(t: TrainingSettings, restored: dict) -> list:
    """Early stopping and learning-rate reduction as the settings ask, with their saved counters put back."""
    from harken.training.callbacks import ResumableEarlyStopping, ResumableReduceLr

    def kept(name: str) -> dict:
        return {k: v for k, v in restored.get(name, {}).items() if v is not None}

    others: list = []
    if t.early_stopping is not None:
        e = t.early_stopping
        es = ResumableEarlyStopping(monitor=e.monitor, patience=e.patience, min_delta=e.min_delta,
                                    mode="min" if "loss" in e.monitor else "max")
        es.restored = kept("ResumableEarlyStopping")
        others.append(es)
    if t.reduce_lr_on_plateau is not None:
        r = t.reduce_lr_on_plateau
        rl = ResumableReduceLr(monitor=r.monitor, factor=r.factor, patience=r.patience, min_lr=r.min_learning_rate,
                               mode="min" if "loss" in r.monitor else "max")
        rl.restored = kept("ResumableReduceLr")
        others.append(rl)
    return others


def _schedule_callbacks(t: TrainingSettings, steps_per_epoch: int) -> list:
    """NaN guard and the learning-rate schedule (per epoch or stepped by batches)."""
    import keras

    from harken.training.callbacks import SteppedLearningRate

    schedule: list = [keras.callbacks.TerminateOnNaN()]
    if t.lr_schedule is not None:
        schedule.append(keras.callbacks.LearningRateScheduler(lambda epoch, lr: float(t.lr_schedule(epoch))))
    if t.lr_steps is not None:
        schedule.append(SteppedLearningRate(t.lr_steps, steps_per_epoch))
    return schedule


def _progress(t: TrainingSettings, steps_per_epoch: int, *, quiet: bool) -> list:
    """The progress display unless ``quiet``: after the state callback, so a printed epoch is a saved one."""
    from harken.training.callbacks import RichProgress

    return [] if quiet else [RichProgress(t.epochs, steps_per_epoch)]


def _finished_before(t: TrainingSettings, saved: dict | None, epochs_done: int, steps_per_epoch: int) -> bool:
    """Whether a resumed run has nothing left: stopped early, all epochs done, or the stepped schedule over."""
    if saved and (saved.get("stopped") or epochs_done >= t.epochs):
        return True
    return t.lr_steps is not None and epochs_done * steps_per_epoch >= t.total_lr_step_batches


def _run_fit(spec: ModelSpec, data, model, callbacks: list, *, initial_epoch: int) -> bool:
    """``model.fit`` from ``initial_epoch`` inside the batches' worker processes; True when Ctrl-C stopped it."""
    from harken.training.callbacks import NextEpoch

    workers = getattr(data.train, "worker_processes", contextlib.nullcontext)
    train_input = _training_input(data.train, spec.input_shape, _class_weights(spec, data))
    try:
        with workers():
            model.fit(train_input, validation_data=data.validation, epochs=spec.training.epochs,
                      initial_epoch=initial_epoch, shuffle=False, verbose=0,
                      callbacks=[*callbacks, NextEpoch(data.train)])
    except KeyboardInterrupt:
        return True
    return False


def _class_weights(spec: ModelSpec, data) -> dict[int, float] | None:
    weights = spec.training.class_weights
    if weights is None:
        return None
    if weights == "balanced":
        return dict(data.class_weights) if data.class_weights else None
    return {spec.classes.index(name): float(w) for name, w in weights.items()}


def _training_input(batches, input_shape: tuple[int, ...], class_weight: dict[int, float] | None):
    """``batches`` (a PyDataset) as a tf.data pass per epoch (moved on by :class:`~harken.training.callbacks.NextEpoch`).

    Given the PyDataset itself, Keras (running no enqueuer: harken's workers prefetch) adds
    ``prefetch(AUTOTUNE)``, whose autotuning threads cost the 2-core quickstart about a minute in
    six; this pipeline runs with autotuning off and one private thread.
    """
    import tensorflow as tf

    weights = None
    if class_weight:
        weights = np.ones(max(class_weight) + 1, np.float32)
        for index, weight in class_weight.items():
            weights[index] = weight

    def one_pass():
        for i in range(len(batches)):
            x, y = batches[i]
            x, y = np.asarray(x, np.float32), np.asarray(y, np.int32)
            yield (x, y) if weights is None else (x, y, weights[y])

    signature = (tf.TensorSpec((None, *input_shape), tf.float32), tf.TensorSpec((None,), tf.int32))
    if weights is not None:
        signature += (tf.TensorSpec((None,), tf.float32),)
    options = tf.data.Options()
    options.autotune.enabled = False
    options.threading.private_threadpool_size = 1
    dataset = tf.data.Dataset.from_generator(one_pass, output_signature=signature)
    return dataset.apply(tf.data.experimental.assert_cardinality(len(batches))).with_options(options)

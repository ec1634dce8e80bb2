"""Training: a spec and its data in, the best Keras model, history, int8 .tflite and archive out.

Three levels, each usable alone (Keras progressive disclosure):

- ``harken train NAME`` (CLI) -> :func:`train` (data, fit, quantize, evaluate, summaries, archive);
- :func:`fit` runs Keras ``fit`` on a ``TrainingData`` with the spec's schedule and callbacks;
- :func:`build_model_for_spec` + :func:`compile_for_spec` give the model for your own loop.

Files in the work directory (``$HARKEN_HOME/models/NAME``): ``best.weights.h5`` (best epoch by
``training.checkpoint_monitor``), ``state/`` (weights, optimizer and callback state after each
epoch, so ``resume=True`` continues after a crash or kill -9 losing at most the current epoch),
``history.json`` / ``history.png``, ``NAME.keras``, ``NAME.tflite`` (int8),
``NAME.float32.tflite``, ``representative.npy``, ``summary.txt``, ``validation_results.json``;
with ``training.ensemble_size`` > 1, ``members/1`` ... each member's (``harken.train.ensemble``).
Ctrl-C stops cleanly: the best checkpoint and the state of the last finished epoch are kept.
It does not make the data (``harken.pipeline.batches``) or define the model (``harken.models``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harken._util.atomic import atomic_path, write_json_atomic, write_text_atomic
from harken.errors import HarkenError, SettingsError
from harken.spec.model_spec import ModelSpec

log = logging.getLogger(__name__)

BEST_WEIGHTS = "best.weights.h5"
STATE_DIR = "state"
STATE_FILE = "state.json"
HISTORY_FILE = "history.json"


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
    branches: list[FitResult] = field(default_factory=list)  # an ensemble's members (``harken.train.ensemble``)


@dataclass(slots=True, kw_only=True)
class TrainResult:
    """What :func:`train` produced (paths, figures); ``interrupted`` means only ``fit`` ran."""

    fit: FitResult
    keras_path: Path | None = None
    archive_path: Path | None = None
    quantization: Any = None
    validation: dict[str, Any] = field(default_factory=dict)


# ---- model -------------------------------------------------------------------------------------------
def build_model_for_spec(spec: ModelSpec, *, seed: int | None = None):
    """The spec's (untrained) Keras model for ``spec.input_shape`` and its classes.

    Its initial weights and dropout draws follow ``seed`` (default: the spec's).
    """
    import keras

    from harken.models import build_model

    keras.utils.set_random_seed(spec.seed if seed is None else seed)
    arch = spec.model.architecture
    if isinstance(arch, str):
        return build_model(arch, input_shape=spec.input_shape, num_classes=spec.num_classes, **spec.model.options)
    model = arch(spec.input_shape, spec.num_classes, **spec.model.options)
    if tuple(model.input_shape[1:]) != spec.input_shape or model.output_shape[-1] != spec.num_classes:
        raise SettingsError(f"model builder {arch.__name__} gave input {model.input_shape} / output "
                            f"{model.output_shape}; the spec needs {spec.input_shape} -> {spec.num_classes} classes")
    return model


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


# ---- callbacks ---------------------------------------------------------------------------------------
def _keras_callbacks():
    import keras

    class SteppedLearningRate(keras.callbacks.Callback):
        """Learning rate from ``((num_batches, lr), ...)`` counted over all batches; stops after the last."""

        def __init__(self, steps, steps_per_epoch: int) -> None:
            super().__init__()
            self.bounds = np.cumsum([n for n, _ in steps])
            self.rates = [lr for _, lr in steps]
            self.steps_per_epoch = steps_per_epoch
            self.epoch = 0

        def learning_rate_at(self, batch_index: int) -> float | None:
            i = int(np.searchsorted(self.bounds, batch_index, side="right"))
            return self.rates[i] if i < len(self.rates) else None

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            lr = self.learning_rate_at(self.epoch * self.steps_per_epoch + batch)
            if lr is not None:
                self.model.optimizer.learning_rate = lr

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch * self.steps_per_epoch + batch + 1 >= self.bounds[-1]:
                self.model.stop_training = True

    class RestoresState:
        """Mixin: put back the counters saved by ``state()`` once Keras has reset them."""

        restored: dict = {}

        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)
            for k, v in self.restored.items():
                setattr(self, k, v)

    class ResumableEarlyStopping(RestoresState, keras.callbacks.EarlyStopping):
        def state(self) -> dict:
            return {"wait": int(self.wait), "best": _float(self.best)}

    class ResumableReduceLr(RestoresState, keras.callbacks.ReduceLROnPlateau):
        def state(self) -> dict:
            return {"wait": int(self.wait), "best": _float(self.best), "cooldown_counter": int(self.cooldown_counter)}

    class TrainingState(keras.callbacks.Callback):
        """After each epoch: history, best weights (atomic), and resumable state (atomic, then the JSON)."""

        def __init__(self, work_dir: Path, monitor: str | None, saved: dict | None, others: list) -> None:
            super().__init__()
            self.work_dir, self.monitor, self.others = work_dir, monitor, others
            saved = saved or {}
            self.history: dict[str, list[float]] = saved.get("history", {})
            self.best = saved.get("best_value")
            self.best_epoch = saved.get("best_epoch")
            self.epochs_done = saved.get("epochs_done", 0)
            self.mode_max = "loss" not in (monitor or "")

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            logs["lr"] = float(np.asarray(self.model.optimizer.learning_rate))
            if self.monitor and self.monitor not in logs:
                raise SettingsError(f"training checkpoint_monitor={self.monitor!r} is not logged; use one of "
                                    f"{', '.join(sorted(logs))}")
            for key, value in logs.items():
                self.history.setdefault(key, []).append(float(value))
            value = float(logs[self.monitor]) if self.monitor else None
            if value is None or self.best is None or (value > self.best if self.mode_max else value < self.best):
                self.best, self.best_epoch = value, epoch
                with atomic_path(self.work_dir / BEST_WEIGHTS, suffix=".weights.h5") as tmp:
                    self.model.save_weights(tmp)
            self.epochs_done = epoch + 1
            save_state(self.work_dir, self.model, {
                "epochs_done": self.epochs_done, "history": self.history, "best_value": self.best,
                "best_epoch": self.best_epoch, "stopped": bool(self.model.stop_training),
                "callbacks": {type(c).__name__: c.state() for c in self.others},
            })
            write_json_atomic(self.work_dir / HISTORY_FILE, self.history, indent=1)

    return SteppedLearningRate, ResumableEarlyStopping, ResumableReduceLr, TrainingState


def _float(value) -> float | None:
    value = float(value) if value is not None else None
    return None if value is None or not np.isfinite(value) else value


def save_state(work_dir: Path, model, state: dict) -> None:
    """Weights + optimizer variables of epoch N in new files, then ``state.json`` pointing at them."""
    folder = work_dir / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"epoch-{state['epochs_done']:05d}"
    with atomic_path(folder / f"{tag}.weights.h5", suffix=".weights.h5") as tmp:
        model.save_weights(tmp)
    with atomic_path(folder / f"{tag}.optimizer.npz", suffix=".npz") as tmp:
        np.savez(tmp, *[np.asarray(v) for v in model.optimizer.variables])
    with atomic_path(folder / f"{tag}.seeds.npz", suffix=".npz") as tmp:
        np.savez(tmp, *[np.asarray(v) for v in _seed_states(model)])
    write_json_atomic(folder / STATE_FILE, {**state, "tag": tag}, indent=1)
    for old in folder.glob("epoch-*"):
        if not old.name.startswith(tag):
            old.unlink(missing_ok=True)


def load_state(work_dir: Path, model) -> dict | None:
    """Restore the last saved epoch into ``model`` (compiled); None when there is none."""
    folder = work_dir / STATE_DIR
    try:
        state = json.loads((folder / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    model.load_weights(folder / f"{state['tag']}.weights.h5")
    with np.load(folder / f"{state['tag']}.optimizer.npz") as saved:
        values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    model.optimizer.build(model.trainable_variables)
    if len(values) != len(model.optimizer.variables):
        raise HarkenError(f"{folder}: the saved optimizer state does not fit this model (the spec changed?); "
                          "train again without --resume")
    for variable, value in zip(model.optimizer.variables, values):
        variable.assign(value)
    seeds_path = folder / f"{state['tag']}.seeds.npz"
    if seeds_path.is_file():  # dropout masks continue where they were
        with np.load(seeds_path) as saved:
            for variable, key in zip(_seed_states(model), sorted(saved.files, key=lambda k: int(k[4:]))):
                variable.assign(saved[key])
    return state


def _seed_states(model) -> list:
    """The state variables of the model's random seed generators (dropout), in layer order."""
    import keras

    def walk(m):
        for layer in m.layers:
            yield from walk(layer) if isinstance(layer, keras.Model) else (layer,)

    return [g.state for layer in walk(model) for g in getattr(layer, "_seed_generators", [])]


# ---- fit -----------------------------------------------------------------------------------------------
def fit(spec: ModelSpec, data, *, model=None, resume: bool = False, quiet: bool = True,
        work_dir: str | os.PathLike | None = None, callbacks: list | None = None) -> FitResult:
    """Train ``model`` (default: the spec's) on ``data`` (a ``harken.pipeline.batches.TrainingData``).

    ``resume`` continues from the last finished epoch saved in the work directory (a fresh start
    when there is none); without it, earlier state is removed. Returns after Ctrl-C too, with
    ``interrupted=True``. The model ends holding the best weights. ``callbacks`` (Keras callbacks)
    run after harken's own: a hook for research code (``bench/``) that needs to watch or steer training.
    """
    import keras

    spec.validate()
    folder = Path(work_dir) if work_dir is not None else spec.work_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if not resume:
        shutil.rmtree(folder / STATE_DIR, ignore_errors=True)
        (folder / BEST_WEIGHTS).unlink(missing_ok=True)
    if list(data.class_names) != list(spec.classes):
        raise SettingsError(f"the data's classes {list(data.class_names)} differ from the spec's {list(spec.classes)}")
    if model is None:
        model = build_model_for_spec(spec)
    compile_for_spec(model, spec)
    saved = load_state(folder, model) if resume else None
    if resume and saved is None:
        log.warning("%s: nothing to resume; starting from epoch 1", folder)
    t = spec.training
    Stepped, EarlyStop, ReduceLr, State = _keras_callbacks()
    restored = (saved or {}).get("callbacks", {})
    others: list = []
    if t.early_stopping is not None:
        es = EarlyStop(monitor=t.early_stopping.monitor, patience=t.early_stopping.patience,
                       min_delta=t.early_stopping.min_delta, mode="min" if "loss" in t.early_stopping.monitor else "max")
        es.restored = {k: v for k, v in restored.get("ResumableEarlyStopping", {}).items() if v is not None}
        others.append(es)
    if t.reduce_lr_on_plateau is not None:
        r = t.reduce_lr_on_plateau
        rl = ReduceLr(monitor=r.monitor, factor=r.factor, patience=r.patience, min_lr=r.min_learning_rate,
                      mode="min" if "loss" in r.monitor else "max")
        rl.restored = {k: v for k, v in restored.get("ResumableReduceLr", {}).items() if v is not None}
        others.append(rl)
    state = State(folder, t.checkpoint_monitor, saved, others)
    steps_per_epoch = len(data.train)
    schedule: list = [keras.callbacks.TerminateOnNaN()]
    if t.lr_schedule is not None:
        schedule.append(keras.callbacks.LearningRateScheduler(lambda epoch, lr: float(t.lr_schedule(epoch))))
    if t.lr_steps is not None:
        schedule.append(Stepped(t.lr_steps, steps_per_epoch))
    if not quiet:
        schedule.append(_progress_callback(t.epochs, steps_per_epoch))
    initial_epoch = state.epochs_done
    finished = bool(saved and (saved.get("stopped") or initial_epoch >= t.epochs))
    if t.lr_steps is not None and initial_epoch * steps_per_epoch >= t.total_lr_step_batches:
        finished = True
    if hasattr(data.train, "set_epoch"):
        data.train.set_epoch(initial_epoch)
    interrupted = False
    if not finished:
        workers = getattr(data.train, "worker_processes", contextlib.nullcontext)
        train_input, next_epoch = _training_input(data.train, spec.input_shape, _class_weights(spec, data))
        try:
            with workers():
                model.fit(train_input, validation_data=data.validation, epochs=t.epochs, initial_epoch=initial_epoch,
                          shuffle=False, verbose=0, callbacks=[*schedule, *others, state, *(callbacks or []), next_epoch])
        except KeyboardInterrupt:
            interrupted = True
            log.warning("training interrupted after %d finished epochs; resume with --resume", state.epochs_done)
    if t.checkpoint_monitor is None and not finished and not interrupted:
        # the last epoch is kept: save the weights as fit left them (an EMA optimizer has just
        # swapped in its averages, which the end-of-epoch checkpoint did not see)
        with atomic_path(folder / BEST_WEIGHTS, suffix=".weights.h5") as tmp:
            model.save_weights(tmp)
    if (folder / BEST_WEIGHTS).is_file():
        model.load_weights(folder / BEST_WEIGHTS)
    stopped_early = any(getattr(c, "stopped_epoch", 0) for c in others)
    if state.history:
        plot_history(state.history, folder / "history.png", title=spec.name, monitor=t.checkpoint_monitor or "last epoch")
    return FitResult(work_dir=folder, history=state.history, best_epoch=state.best_epoch, best_value=state.best,
                     epochs_done=state.epochs_done, interrupted=interrupted, stopped_early=stopped_early)


def _class_weights(spec: ModelSpec, data) -> dict[int, float] | None:
    weights = spec.training.class_weights
    if weights is None:
        return None
    if weights == "balanced":
        return dict(data.class_weights) if data.class_weights else None
    return {spec.classes.index(name): float(w) for name, w in weights.items()}


def _training_input(batches, input_shape: tuple[int, ...], class_weight: dict[int, float] | None):
    """``batches`` (a PyDataset) as a tf.data pass per epoch, and the callback that moves it to the next epoch.

    Given the PyDataset itself, Keras (running no enqueuer: harken's workers prefetch) adds
    ``prefetch(AUTOTUNE)``, whose autotuning threads cost the 2-core quickstart about a minute in
    six; this pipeline runs with autotuning off and one private thread.
    """
    import keras
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
            w = None if weights is None else weights[y]
            yield (x, y) if w is None else (x, y, w)

    signature = (tf.TensorSpec((None, *input_shape), tf.float32), tf.TensorSpec((None,), tf.int32))
    if weights is not None:
        signature += (tf.TensorSpec((None,), tf.float32),)
    options = tf.data.Options()
    options.autotune.enabled = False
    options.threading.private_threadpool_size = 1
    dataset = tf.data.Dataset.from_generator(one_pass, output_signature=signature)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(batches))).with_options(options)

    class NextEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            batches.on_epoch_end()

    return dataset, NextEpoch()


def _progress_callback(epochs: int, steps_per_epoch: int):
    """A rich progress bar on stderr: batches of the current epoch, then one line per epoch."""
    import keras
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)

    class RichProgress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeRemainingColumn(), TextColumn("{task.fields[metrics]}"),
                                     console=console, transient=True)
            self.progress.start()

        def on_epoch_begin(self, epoch, logs=None):
            self.task = self.progress.add_task(f"epoch {epoch + 1}/{epochs}", total=steps_per_epoch, metrics="")

        def on_train_batch_end(self, batch, logs=None):
            text = " ".join(f"{k} {v:.4f}" for k, v in (logs or {}).items())
            self.progress.update(self.task, completed=batch + 1, metrics=text)

        def on_epoch_end(self, epoch, logs=None):
            self.progress.remove_task(self.task)
            text = " ".join(f"{k} {float(v):.4f}" for k, v in (logs or {}).items())
            lr = float(np.asarray(self.model.optimizer.learning_rate))
            console.print(f"epoch {epoch + 1}/{epochs}: {text} lr {lr:.3g}", soft_wrap=True)

        def on_train_end(self, logs=None):
            self.progress.stop()

    return RichProgress()


def announce(message: str, *, quiet: bool) -> None:
    """A line on stderr between progress bars (which ensemble member starts), unless ``quiet``; logged too."""
    log.info("%s", message)
    if not quiet:
        from rich.console import Console

        Console(stderr=True).print(message, soft_wrap=True)


def save_histories(folder: Path, histories: dict[str, dict[str, list[float]]], *, title: str, monitor: str) -> None:
    """Several runs' histories (an ensemble's members) as ``history.json`` and ``history.png``."""
    write_json_atomic(folder / HISTORY_FILE, histories, indent=1)
    plot_histories(histories, folder / "history.png", title=title, monitor=monitor)


def plot_history(history: dict[str, list[float]], path: Path, *, title: str = "", monitor: str = "") -> None:
    """Loss and accuracy curves (training and validation) and the learning rate, as a PNG."""
    plot_histories({"": history}, path, title=title, monitor=monitor)


def plot_histories(histories: dict[str, dict[str, list[float]]], path: Path, *, title: str = "",
                   monitor: str = "") -> None:
    """:func:`plot_history` for several runs (an ensemble's members), each labelled by its key."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for run, history in histories.items():
        suffix = f" ({run})" if run else ""
        for ax, key in zip(axes[:2], ("loss", "accuracy")):
            for name in (key, f"val_{key}"):
                if name in history:
                    ax.plot(range(1, len(history[name]) + 1), history[name], label=name + suffix)
        if "lr" in history:
            axes[2].semilogy(range(1, len(history["lr"]) + 1), history["lr"], label=run or None)
    for ax, key in zip(axes, ("loss", "accuracy", "learning rate (end of epoch)")):
        ax.set_xlabel("epoch"), ax.set_title(key)
    for ax in axes[:2]:
        ax.legend(fontsize="small")
    fig.suptitle(f"{title} (checkpoint: {monitor})" if monitor else title)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)


# ---- the whole job -------------------------------------------------------------------------------------
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


def _fit_one_model(spec: ModelSpec, data, start: Path | None, *, resume: bool, quiet: bool) -> tuple[FitResult, Any]:
    """:func:`fit` of one model from ``start``; the first member when ``start`` is an ensemble."""
    from harken.train import ensemble
    from harken.train.initial_weights import load_initial_weights

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
    from harken.export import archive, quantize
    from harken.profile import summarize

    from harken.train.initial_weights import initial_weights_file

    if data is None:
        from harken.pipeline.batches import build_training_data

        data = build_training_data(spec, dry_run=spec.dry_run, workers=workers, quiet=quiet)
    start = initial_weights_file(spec, resume=resume, quiet=quiet, workers=workers)
    if isinstance(start, TrainResult):  # the base spec's training was interrupted
        return start
    if spec.training.ensemble_size > 1:
        from harken.train.ensemble import fit_ensemble

        fitted, model = fit_ensemble(spec, data, start, resume=resume, quiet=quiet, workers=workers)
    else:
        fitted, model = _fit_one_model(spec, data, start, resume=resume, quiet=quiet)
    result = TrainResult(fit=fitted)
    if fitted.interrupted:
        return result
    folder = fitted.work_dir
    result.keras_path = folder / f"{spec.name}.keras"
    with atomic_path(result.keras_path, suffix=".keras") as tmp:
        model.save(tmp)
    x_val, y_val = data.validation
    representative = quantize.representative_samples(x_val, spec.quantization.num_representative_samples,
                                                     seed=spec.seed)
    with atomic_path(folder / quantize.REPRESENTATIVE_FILE, suffix=".npy") as tmp:
        np.save(tmp, representative)
    result.quantization = quantize.quantize(spec, model=model, representative=representative, work_dir=folder)
    tflite_bytes = result.quantization.tflite_path.read_bytes()
    keras_scores = model.predict(x_val, batch_size=256, verbose=0)
    raw = quantize.run_tflm(tflite_bytes, x_val)  # the device's interpreter gives the int8 figures
    litert_steps = np.abs(quantize.run_litert(tflite_bytes, x_val).astype(np.int32) - raw.astype(np.int32)).max(axis=1)
    result.validation = {
        "keras": validation_results(y_val, keras_scores, spec.classes),
        "int8_tflite": validation_results(y_val, quantize.dequantize_output(raw, tflite_bytes), spec.classes),
        "int8_interpreter": "tflm",
        "litert_clips_differing": int(np.count_nonzero(litert_steps)), "litert_max_step_difference": int(litert_steps.max()),
        "input_scale": result.quantization.input_scale, "input_zero_point": result.quantization.input_zero_point,
        "best_epoch": None if fitted.best_epoch is None else fitted.best_epoch + 1,
        "best_value": fitted.best_value, "monitor": spec.training.checkpoint_monitor,
        "ensemble_size": spec.training.ensemble_size,
    }
    write_json_atomic(folder / "validation_results.json", result.validation, indent=1)
    write_text_atomic(folder / "summary.txt", summarize.format_keras_summary(model, spec.model_params()) + "\n")
    write_text_atomic(folder / "summary_tflite.txt",
                      summarize.format_tflite_summary(summarize.tflite_summary(tflite_bytes)) + "\n")
    if write_archive:
        result.archive_path = archive.write_archive(spec, folder)
    return result

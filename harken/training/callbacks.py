"""harken's Keras callbacks: the stepped learning rate, resumable early stopping and plateau, the
per-epoch checkpoint and state, the move to the next epoch's batches, and the progress display.

In: the training settings and work directory, given by :func:`harken.training.fit.fit`, the one
importer of this module (it imports Keras, so it is imported only when training starts).
Out: callbacks for ``model.fit``. Whatever they save outlives a crash: best weights and state are
written atomically after each epoch (``harken.training.resume``).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from harken._util.atomic import atomic_path, write_json_atomic
from harken._util.interrupts import interrupts_deferred
from harken.errors import SettingsError
from harken.training.history import HISTORY_FILE
from harken.training.resume import BEST_WEIGHTS, save_state


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
    """EarlyStopping whose patience counter and best value survive a resume."""

    def state(self) -> dict:
        return {"wait": int(self.wait), "best": _float(self.best)}


class ResumableReduceLr(RestoresState, keras.callbacks.ReduceLROnPlateau):
    """ReduceLROnPlateau whose patience and cooldown counters survive a resume."""

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
        with interrupts_deferred():  # a Ctrl-C now waits until the epoch is saved: counted epochs are saved ones
            self._save_epoch(epoch, logs)

    def _save_epoch(self, epoch: int, logs: dict) -> None:
        """Record epoch ``epoch`` (0-based) in the history, checkpoint and state on disk."""
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        value = float(logs[self.monitor]) if self.monitor else None
        if value is None or self.best is None or (value > self.best if self.mode_max else value < self.best):
            self.best, self.best_epoch = value, epoch
            with atomic_path(self.work_dir / BEST_WEIGHTS, suffix=".weights.h5") as tmp:
                self.model.save_weights(tmp)
        save_state(self.work_dir, self.model, {
            "epochs_done": epoch + 1, "history": self.history, "best_value": self.best,
            "best_epoch": self.best_epoch, "stopped": bool(self.model.stop_training),
            "callbacks": {type(c).__name__: c.state() for c in self.others},
        })
        write_json_atomic(self.work_dir / HISTORY_FILE, self.history, indent=1)
        self.epochs_done = epoch + 1


class NextEpoch(keras.callbacks.Callback):
    """Tell the batches (a PyDataset fed through tf.data, which Keras does not tell) that an epoch ended."""

    def __init__(self, batches) -> None:
        super().__init__()
        self.batches = batches

    def on_epoch_end(self, epoch, logs=None):
        self.batches.on_epoch_end()


class RichProgress(keras.callbacks.Callback):
    """A rich progress bar on stderr: batches of the current epoch, then one line per epoch.

    It runs after :class:`TrainingState`, so an epoch's line means that epoch is saved.
    """

    def __init__(self, epochs: int, steps_per_epoch: int) -> None:
        from rich.console import Console

        super().__init__()
        self.epochs, self.steps_per_epoch = epochs, steps_per_epoch
        self.console = Console(stderr=True)

    def on_train_begin(self, logs=None):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), TextColumn("{task.fields[metrics]}"),
                                 console=self.console, transient=True)
        self.progress.start()

    def on_epoch_begin(self, epoch, logs=None):
        self.lr = None
        self.task = self.progress.add_task(f"epoch {epoch + 1}/{self.epochs}", total=self.steps_per_epoch, metrics="")

    def on_train_batch_end(self, batch, logs=None):
        text = " ".join(f"{k} {v:.4f}" for k, v in (logs or {}).items())
        self.progress.update(self.task, completed=batch + 1, metrics=text)
        if batch + 1 == self.steps_per_epoch:  # the rate of the epoch's end, before a plateau callback lowers it
            self.lr = float(np.asarray(self.model.optimizer.learning_rate))

    def on_epoch_end(self, epoch, logs=None):
        self.progress.remove_task(self.task)
        # "learning_rate" (from Keras's rate callbacks) is shown once, as "lr"
        text = " ".join(f"{k} {float(v):.4f}" for k, v in (logs or {}).items() if not k.startswith("learning_rate"))
        lr = self.lr if self.lr is not None else float(np.asarray(self.model.optimizer.learning_rate))
        self.console.print(f"epoch {epoch + 1}/{self.epochs}: {text} lr {lr:.3g}", soft_wrap=True)

    def on_train_end(self, logs=None):
        self.progress.stop()


def _float(value) -> float | None:
    """A JSON-safe float: None for None, inf and nan (Keras's initial 'best')."""
    value = float(value) if value is not None else None
    return None if value is None or not np.isfinite(value) else value

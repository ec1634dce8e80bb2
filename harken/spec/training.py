"""How a spec trains: ``TrainingSettings`` (fit settings, learning-rate schedule, class weights,
fine-tuning start, ensembles) and its callbacks' settings (early stopping, learning-rate reduction).

In: keyword arguments in a spec file. Out: validated settings that ``harken.training`` turns into a
compiled model, Keras callbacks and a ``fit``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harken._util.settings import Settings
from harken.spec.problem import SpecProblem


@dataclass(slots=True, kw_only=True)
class EarlyStopping(Settings):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    monitor: str = "val_accuracy"
    patience: int = 12
    min_delta: float = 0.0


@dataclass(slots=True, kw_only=True)
class ReduceLrOnPlateau(Settings):
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs."""

    monitor: str = "accuracy"
    factor: float = 0.25
    patience: int = 10
    min_learning_rate: float = 1e-7


@dataclass(slots=True, kw_only=True)
class TrainingSettings(Settings):
    """How to train: Keras ``fit`` settings, learning-rate schedule, callbacks, class weights.

    ``lr_schedule`` is a function of the epoch index (0-based) giving the learning rate;
    ``lr_steps`` is a stepped schedule counted in batches, ``((num_batches, learning_rate), ...)``,
    and training stops after the last step. Give at most one of them.

    ``initial_weights`` fine-tunes instead of training from scratch: the name of another spec with
    the same model (its trained ``.keras`` is used; ``harken train`` trains it first when it has no
    model yet) or the path of a ``.keras`` / ``.weights.h5`` file.

    ``ensemble_size`` > 1 trains the spec that many times, member ``i`` with seed ``seed + i``, and
    merges the members into one model that averages their probabilities (``harken.training.ensemble``):
    ``ensemble_size`` times the MACs, weights and training time of one model. With
    ``initial_weights`` naming an ensemble, member ``i`` fine-tunes its member ``i``.
    """

    epochs: int = 80
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 0.001
    optimizer_options: dict[str, Any] = field(default_factory=dict)
    lr_schedule: Callable[[int], float] | None = None
    lr_steps: tuple[tuple[int, float], ...] | None = None
    checkpoint_monitor: str | None = "val_accuracy"  # None: keep the last epoch's weights
    early_stopping: EarlyStopping | None = None
    reduce_lr_on_plateau: ReduceLrOnPlateau | None = None
    class_weights: str | dict[str, float] | None = "balanced"
    initial_weights: str | None = None
    ensemble_size: int = 1

    def __post_init__(self) -> None:
        if self.lr_steps is not None:
            self.lr_steps = tuple((int(n), float(lr)) for n, lr in self.lr_steps)
        self.validate()

    def validate(self) -> None:
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise SpecProblem(f"training epochs={self.epochs!r}: use a whole number >= 1", token="epochs")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise SpecProblem(f"training batch_size={self.batch_size!r}: use a whole number >= 1", token="batch_size")
        if self.optimizer not in ("adam", "adamw", "sgd", "rmsprop"):
            raise SpecProblem(f"training optimizer={self.optimizer!r}: use adam, adamw, sgd or rmsprop",
                              token="optimizer")
        if not self.learning_rate > 0:
            raise SpecProblem(f"training learning_rate={self.learning_rate}: must be > 0", token="learning_rate")
        if self.lr_schedule is not None and self.lr_steps is not None:
            raise SpecProblem("training: give lr_schedule (per epoch) or lr_steps (per batch), not both",
                              token="lr_steps")
        if self.lr_schedule is not None and not callable(self.lr_schedule):
            raise SpecProblem("training lr_schedule must be a function epoch -> learning rate", token="lr_schedule")
        if self.lr_steps is not None and (not self.lr_steps or any(n < 1 or lr <= 0 for n, lr in self.lr_steps)):
            raise SpecProblem(f"training lr_steps={self.lr_steps}: give (num_batches >= 1, learning_rate > 0) pairs",
                              token="lr_steps")
        if self.checkpoint_monitor is not None and (not isinstance(self.checkpoint_monitor, str)
                                                    or not self.checkpoint_monitor):
            raise SpecProblem(f"training checkpoint_monitor={self.checkpoint_monitor!r}: name a logged metric "
                              "(val_accuracy, val_loss, ...) or None for the last epoch", token="checkpoint_monitor")
        if self.initial_weights is not None and (not isinstance(self.initial_weights, str) or
                                                 not self.initial_weights.strip()):
            raise SpecProblem(f"training initial_weights={self.initial_weights!r}: give a spec name or a "
                              ".keras / .weights.h5 path", token="initial_weights")
        if isinstance(self.ensemble_size, bool) or not isinstance(self.ensemble_size, int) or self.ensemble_size < 1:
            raise SpecProblem(f"training ensemble_size={self.ensemble_size!r}: use a whole number >= 1 (1: one model)",
                              token="ensemble_size")
        if isinstance(self.class_weights, str) and self.class_weights != "balanced":
            raise SpecProblem(f"training class_weights={self.class_weights!r}: use 'balanced', a dict or None",
                              token="class_weights")

    @property
    def total_lr_step_batches(self) -> int | None:
        """Batches after which a stepped schedule ends training (None without ``lr_steps``)."""
        return sum(n for n, _ in self.lr_steps) if self.lr_steps else None

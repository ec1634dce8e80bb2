"""How a spec trains: the callbacks' settings (early stopping, learning-rate reduction on a plateau).

In: keyword arguments in a spec file. Out: validated settings that ``harken.training.job`` turns into
Keras callbacks. ``TrainingSettings`` itself still lives in ``harken.spec.model_spec``; it moves
here once the branches that edit it are merged.
"""

from __future__ import annotations

from dataclasses import dataclass

from harken._util.settings import Settings


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

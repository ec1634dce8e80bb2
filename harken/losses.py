"""Training losses: sparse categorical focal cross-entropy for clips the model keeps getting wrong.

Focal cross-entropy (Lin et al., 2017) scales each clip's cross-entropy by ``(1 - p_true) ** gamma``:
clips the model already classifies confidently count for little, so the gradient goes to the hard
ones (a real "up" heard as "off") instead of the thousands of easy synthetic clips. ``gamma = 0``
is plain cross-entropy. Class weights still apply on top.
"""

from __future__ import annotations

import keras
from keras import ops

_EPSILON = 1e-7


@keras.saving.register_keras_serializable(package="harken")
class SparseFocalCrossentropy(keras.losses.Loss):
    """Focal cross-entropy of integer labels against softmax probabilities ``[batch, classes]``."""

    def __init__(self, gamma: float = 2.0, name: str = "sparse_focal_crossentropy", **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        if gamma < 0:
            raise ValueError(f"focal gamma={gamma}: must be >= 0")
        self.gamma = float(gamma)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        probs = ops.clip(y_pred, _EPSILON, 1.0 - _EPSILON)
        p_true = ops.sum(probs * ops.one_hot(labels, ops.shape(probs)[-1], dtype=probs.dtype), axis=-1)
        return -ops.power(1.0 - p_true, self.gamma) * ops.log(p_true)

    def get_config(self) -> dict:
        return {**super().get_config(), "gamma": self.gamma}

"""Knowledge distillation: a model learns from the averaged predictions of trained teacher models.

A few models trained alone (other seeds, or larger models) are together more accurate on real
voices than any one of them; distillation (Hinton et al., 2015, at temperature 1) puts much of that
into one model of the student's size, which is what a microcontroller can run. Each training
sample's target becomes ``weight * mean(teacher probabilities) + (1 - weight) * one_hot(label)``,
with the teachers scoring the same augmented spectrogram the student sees, so they also say how
keyword-like a noisy or truncated sample still is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from harken.errors import ModelFileError, SettingsError
from harken.spec.model_spec import ModelSpec


def load_teachers(paths: Sequence[str | os.PathLike], spec: ModelSpec) -> list:
    """The teacher Keras models, frozen; a one-line error for a file that is not a fitting model."""
    from harken.models.keras_file import load_keras_model

    teachers = []
    for path in paths:
        try:
            model = load_keras_model(path)
        except ModelFileError as exc:
            raise SettingsError(f"training.teachers: {exc}") from None
        shape, outputs = tuple(int(d) for d in model.input_shape[1:]), int(model.output_shape[-1])
        if shape != tuple(spec.input_shape) or outputs != spec.num_classes:
            raise SettingsError(f"{path}: this teacher maps {shape} to {outputs} classes; {spec.name} needs "
                                f"{tuple(spec.input_shape)} to {spec.num_classes} ({', '.join(spec.classes)})")
        model.trainable = False
        teachers.append(model)
    return teachers


def soft_targets(teachers: Sequence, num_classes: int, weight: float) -> Callable:
    """A ``tf.data`` map function: ``(x, label, *rest)`` -> ``(x, target, *rest)``.

    ``target`` = ``weight`` x the teachers' mean softmax output on ``x`` + ``1 - weight`` x the
    one-hot label. Sample weights (``rest``) pass unchanged.
    """
    import tensorflow as tf

    if not teachers:
        raise ValueError("soft_targets needs at least one teacher")
    if not 0 < weight <= 1:
        raise ValueError(f"distillation weight={weight}: must be in (0, 1]")

    def target(x, label, *rest):
        probabilities = tf.add_n([tf.cast(t(x, training=False), tf.float32) for t in teachers]) / len(teachers)
        mixed = weight * probabilities + (1.0 - weight) * tf.one_hot(label, num_classes, dtype=tf.float32)
        return (x, mixed, *rest)

    return target

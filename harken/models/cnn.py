"""The small on/off CNN: three strided 3x3 convolutions, a max pool over time, a dense classifier.

In: a spectrogram ``(time, features, 1)``; (49, 32, 1) for the 8 kHz / 32-channel / 30-20 ms
front end of the small on/off model. Out: a Keras Sequential model with softmax outputs.

Layers, as in that model's specification: Conv2D(filters) -> BN -> ReLU; Conv2D(2 filters) ->
BN -> ReLU -> Dropout(0.1); Conv2D(4 filters) -> BN -> ReLU -> Dropout(0.3); every conv 3x3,
stride 2, "same", L2 weight decay; MaxPool over the whole remaining time axis (7 x 1 for 49
frames); Flatten; Dense softmax. Quantised, the batch normalisations and ReLUs fuse into the
convolutions (7 TFLite ops, 278,144 MACs for (49, 32, 1) and 4 classes). It builds; it does
not train.
"""

from __future__ import annotations

import keras
from keras import layers, regularizers

from harken.errors import SettingsError


def build_cnn(
    input_shape=(49, 32, 1),
    num_classes: int = 4,
    *,
    filters: int = 8,
    weight_decay: float = 1e-4,
) -> keras.Model:
    """Build the small on/off CNN.

    Parameters
    ----------
    input_shape : tuple of int
        ``(time, features, 1)``.
    num_classes : int >= 2
        Number of output classes (4 in the on/off model: on, off, _unknown_, _silence_).
    filters : int > 0
        Filters of the first convolution; the next ones have 2x and 4x.
    weight_decay : float >= 0
        L2 regularisation factor of the convolution kernels.

    Examples
    --------
    >>> build_cnn((49, 32, 1), 4).count_params()
    6628
    """
    shape = tuple(input_shape)
    if len(shape) != 3 or any(not isinstance(d, int) or d < 1 for d in shape):
        raise SettingsError(
            f"CNN input_shape={input_shape} must be (time, features, channels) with positive "
            "sizes, e.g. (49, 32, 1)"
        )
    if not isinstance(num_classes, int) or num_classes < 2:
        raise SettingsError(f"CNN num_classes={num_classes} must be an integer >= 2")
    if not isinstance(filters, int) or filters < 1:
        raise SettingsError(f"CNN filters={filters} must be a positive integer")
    if weight_decay < 0:
        raise SettingsError(f"CNN weight_decay={weight_decay} must be >= 0")

    def conv(n: int, name: str) -> layers.Conv2D:
        return layers.Conv2D(n, (3, 3), strides=(2, 2), padding="same",
                             kernel_regularizer=regularizers.l2(weight_decay), name=name)  # fmt: skip

    time_after = shape[0]
    for _ in range(3):
        time_after = -(-time_after // 2)
    return keras.Sequential(
        [
            keras.Input(shape=shape, name="spectrogram"),
            conv(filters, "conv_1"),
            layers.BatchNormalization(name="bn_1"),
            layers.ReLU(name="relu_1"),
            conv(2 * filters, "conv_2"),
            layers.BatchNormalization(name="bn_2"),
            layers.ReLU(name="relu_2"),
            layers.Dropout(0.1, name="dropout_2"),
            conv(4 * filters, "conv_3"),
            layers.BatchNormalization(name="bn_3"),
            layers.ReLU(name="relu_3"),
            layers.Dropout(0.3, name="dropout_3"),
            layers.MaxPooling2D(pool_size=(time_after, 1), name="time_max_pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(num_classes, activation="softmax", name="classifier"),
        ],
        name="cnn",
    )

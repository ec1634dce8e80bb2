"""DS-CNN: the depthwise-separable CNN keyword spotter (Zhang et al. 2017, "Hello Edge").

In: a spectrogram ``(time, features, 1)``. Out: a Keras functional model with softmax outputs.

Layers: Conv2D(filters, first_kernel_size, first_strides) -> BN -> ReLU, then ``num_blocks`` x
(DepthwiseConv2D 3x3 -> BN -> ReLU -> Conv2D 1x1 -> BN -> ReLU), global average pool, dropout,
dense. Convolutions before a BN carry no bias (the BN supplies it). It builds; it does not train.
"""

from __future__ import annotations

import keras
from keras import layers

from harken.errors import SettingsError


def build_dscnn(
    input_shape=(49, 10, 1),
    num_classes: int = 12,
    *,
    filters: int = 64,
    num_blocks: int = 4,
    first_kernel_size=(10, 4),
    first_strides=(2, 2),
    dropout_rate: float = 0.2,
) -> keras.Model:
    """Build a DS-CNN (defaults: the DS-CNN-S of the paper on 49 x 10 MFCCs).

    Parameters
    ----------
    input_shape : tuple of int
        ``(time, features, 1)``.
    num_classes : int >= 2
        Number of output classes.
    filters : int > 0
        Channels of every block.
    num_blocks : int > 0
        Depthwise-separable blocks after the first convolution.
    first_kernel_size, first_strides : (int, int)
        Kernel and stride of the first (full) convolution, (time, features).
    dropout_rate : float in [0, 1)
        Dropout before the classifier.

    Examples
    --------
    >>> build_dscnn((49, 10, 1), 12).output_shape
    (None, 12)
    """
    shape = tuple(input_shape)
    if len(shape) != 3 or any(not isinstance(d, int) or d < 1 for d in shape):
        raise SettingsError(
            f"DS-CNN input_shape={input_shape} must be (time, features, channels) with positive "
            "sizes, e.g. (49, 10, 1)"
        )
    for name, value, low in (("num_classes", num_classes, 2), ("filters", filters, 1),
                             ("num_blocks", num_blocks, 1)):  # fmt: skip
        if not isinstance(value, int) or value < low:
            raise SettingsError(f"DS-CNN {name}={value} must be an integer >= {low}")
    if not 0.0 <= dropout_rate < 1.0:
        raise SettingsError(f"DS-CNN dropout_rate={dropout_rate} must be in [0, 1)")

    inputs = keras.Input(shape=shape, name="spectrogram")
    x = layers.Conv2D(filters, tuple(first_kernel_size), strides=tuple(first_strides),
                      padding="same", use_bias=False, name="conv_1")(inputs)  # fmt: skip
    x = layers.BatchNormalization(name="bn_1")(x)
    x = layers.ReLU(name="relu_1")(x)
    for i in range(num_blocks):
        x = layers.DepthwiseConv2D((3, 3), padding="same", use_bias=False, name=f"depthwise-{i}")(x)
        x = layers.BatchNormalization(name=f"depthwise_bn-{i}")(x)
        x = layers.ReLU(name=f"depthwise_relu-{i}")(x)
        x = layers.Conv2D(filters, 1, use_bias=False, name=f"pointwise-{i}")(x)
        x = layers.BatchNormalization(name=f"pointwise_bn-{i}")(x)
        x = layers.ReLU(name=f"pointwise_relu-{i}")(x)
    x = layers.AveragePooling2D(pool_size=tuple(x.shape[1:3]), name="average_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout_rate, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="DSCNN")

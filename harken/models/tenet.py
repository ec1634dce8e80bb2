"""TENet: temporal efficient neural network for keyword spotting (the v3 on/off model).

In: a spectrogram shaped ``(time, 1, features)`` (features as channels, so every convolution
runs along time only); ``(time, features, 1)`` is accepted too and reshaped inside the model
(same memory layout, so the device feeds the front end's output unchanged).
Out: a Keras functional model with ``num_classes`` softmax outputs.

Architecture (Li, Wei, Qin 2020, "Small-footprint keyword spotting with multi-scale temporal
convolution"): a temporal convolution, then ``num_stages`` stages of ``blocks_per_stage``
inverted-bottleneck blocks (1x1 expand -> temporal depthwise -> 1x1 contract, residual add);
the first block of each stage halves the time axis (with a strided 1x1 residual path). Average
pool over time, dropout, dense.

The temporal depthwise convolution is multi-scale while training: branches with kernels
``kernel_sizes`` (e.g. 9/5/3/1), each a depthwise convolution plus batch normalisation, summed.
:func:`merge_multiscale` folds the branches into one plain depthwise convolution for inference
(identical outputs); with a single kernel size the layer is a plain depthwise convolution from
the start. This module builds models; it does not train or quantise them.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from harken.errors import SettingsError

_BN_EPSILON = 1e-3


def _time_strides(strides: int) -> tuple[int, int]:
    """Depthwise strides for a ``(time, 1, channels)`` tensor: ``strides`` along time.

    The width is 1, so the column stride changes nothing; it is set equal to the time stride
    because TensorFlow's own CPU depthwise kernel refuses unequal strides (used when oneDNN is
    off, as on CPUs without AVX-512 such as AMD EPYC), and training would fail there.
    """
    return (strides, strides)


@keras.saving.register_keras_serializable(package="harken")
class MultiScaleTemporalConv(layers.Layer):
    """Sum of depthwise temporal convolutions with different kernel lengths, each with its BN.

    Parameters
    ----------
    kernel_sizes : tuple of int
        Odd kernel lengths along time, e.g. ``(9, 5, 3, 1)``; all branches are centred on the
        same sample, so the sum equals one depthwise convolution of the longest length.
    strides : int
        Stride along time (1 or 2).

    Input and output are ``(batch, time, 1, channels)``; padding is "same" for the longest kernel.
    """

    def __init__(self, kernel_sizes=(9, 5, 3, 1), strides=1, **kwargs):
        super().__init__(**kwargs)
        self.kernel_sizes = tuple(int(k) for k in kernel_sizes)
        self.strides = int(strides)
        self.depthwise = [
            layers.DepthwiseConv2D(
                (k, 1), strides=_time_strides(self.strides), padding="valid", use_bias=False, name=f"dw{k}"
            )
            for k in self.kernel_sizes
        ]
        self.batch_norms = [
            layers.BatchNormalization(epsilon=_BN_EPSILON, name=f"bn{k}") for k in self.kernel_sizes
        ]

    def build(self, input_shape):
        max_k = max(self.kernel_sizes)
        for k, conv, bn in zip(self.kernel_sizes, self.depthwise, self.batch_norms):
            offset = (max_k - k) // 2
            time = None if input_shape[1] is None else input_shape[1] + _total_pad(
                input_shape[1], max_k, self.strides
            ) - 2 * offset
            conv.build((input_shape[0], time, input_shape[2], input_shape[3]))
            bn.build(conv.compute_output_shape((input_shape[0], time, input_shape[2], input_shape[3])))

    def call(self, inputs, training=None):
        max_k = max(self.kernel_sizes)
        time = inputs.shape[1]
        total = _total_pad(time, max_k, self.strides)
        padded = keras.ops.pad(inputs, [[0, 0], [total // 2, total - total // 2], [0, 0], [0, 0]])
        length = time + total
        out = None
        for k, conv, bn in zip(self.kernel_sizes, self.depthwise, self.batch_norms):
            offset = (max_k - k) // 2
            branch = bn(conv(padded[:, offset : length - offset]), training=training)
            out = branch if out is None else out + branch
        return out

    def compute_output_shape(self, input_shape):
        time = None if input_shape[1] is None else -(-input_shape[1] // self.strides)
        return (input_shape[0], time, input_shape[2], input_shape[3])

    def get_config(self):
        return {**super().get_config(), "kernel_sizes": list(self.kernel_sizes), "strides": self.strides}

    def merged_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The equivalent single depthwise kernel ``(max_k, 1, C, 1)`` and bias ``(C,)`` (inference BN)."""
        max_k = max(self.kernel_sizes)
        kernel, bias = None, None
        for k, conv, bn in zip(self.kernel_sizes, self.depthwise, self.batch_norms):
            gamma, beta, mean, var = (np.asarray(w, dtype=np.float64) for w in bn.get_weights())
            scale = gamma / np.sqrt(var + bn.epsilon)
            w = np.asarray(conv.get_weights()[0], dtype=np.float64)  # (k, 1, C, 1)
            if kernel is None:
                kernel = np.zeros((max_k,) + w.shape[1:])
                bias = np.zeros_like(beta)
            offset = (max_k - k) // 2
            kernel[offset : offset + k] += w * scale[None, None, :, None]
            bias += beta - mean * scale
        return kernel.astype(np.float32), bias.astype(np.float32)


def _total_pad(time: int, kernel: int, strides: int) -> int:
    """Total 'same' padding along time, as TensorFlow computes it."""
    out = -(-time // strides)
    return max((out - 1) * strides + kernel - time, 0)


def build_tenet(
    input_shape=(98, 1, 104),
    num_classes: int = 3,
    *,
    channels: int = 50,
    num_stages: int = 5,
    blocks_per_stage: int = 4,
    expansion: int = 3,
    kernel_sizes=(9, 5, 3, 1),
    dropout_rate: float = 0.1,
) -> keras.Model:
    """Build a TENet keyword-spotting model (v3 tutorial values as defaults).

    Parameters
    ----------
    input_shape : tuple of int
        ``(time, 1, features)`` or ``(time, features, 1)``; (98, 1, 104) for the v3 front end.
    num_classes : int > 1
        Number of output classes.
    channels : int > 0
        Width of the residual path (the expanded width is ``channels * expansion``).
    num_stages, blocks_per_stage : int > 0
        Each stage starts with a stride-2 block; 5 x 4 = 20 blocks for v3.
    kernel_sizes : tuple of odd int
        Temporal kernel lengths of the multi-scale depthwise convolution; ``(9,)`` gives a
        plain depthwise convolution (what :func:`merge_multiscale` turns any model into).
    dropout_rate : float in [0, 1)
        Dropout before the classifier.

    Examples
    --------
    >>> model = build_tenet((98, 1, 104), 3, kernel_sizes=(9,))
    >>> model.count_params()
    384303
    """
    time, features = _check_input(input_shape)
    _check_positive(channels=channels, num_stages=num_stages, blocks_per_stage=blocks_per_stage,
                    expansion=expansion, num_classes=num_classes - 1)  # fmt: skip
    kernel_sizes = tuple(int(k) for k in kernel_sizes)
    if not kernel_sizes or any(k < 1 or k % 2 == 0 for k in kernel_sizes):
        raise SettingsError(
            f"TENet kernel_sizes={kernel_sizes} must be odd positive lengths (e.g. (9, 5, 3, 1)) "
            "so that every branch is centred on the same sample"
        )
    if not 0.0 <= dropout_rate < 1.0:
        raise SettingsError(f"TENet dropout_rate={dropout_rate} must be in [0, 1)")

    inputs = keras.Input(shape=tuple(input_shape), name="spectrogram")
    x = inputs
    if tuple(input_shape) != (time, 1, features):
        x = layers.Reshape((time, 1, features), name="to_time_1_features")(x)
    x = layers.Conv2D(channels, (3, 1), padding="same", name="temporal_conv")(x)
    index = 0
    for _ in range(num_stages):
        for block in range(blocks_per_stage):
            x = _block(x, index, channels, expansion, kernel_sizes, strides=2 if block == 0 else 1)
            index += 1
    x = layers.AveragePooling2D(pool_size=(x.shape[1], 1), name="average_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout_rate, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="TENet")


def _block(x, i, channels, expansion, kernel_sizes, *, strides):
    """One inverted-bottleneck block; a strided block gets a strided 1x1 residual path."""
    h = layers.Conv2D(channels * expansion, 1, use_bias=False, name=f"pointwise_expand_conv-{i}")(x)
    h = layers.BatchNormalization(epsilon=_BN_EPSILON, name=f"expand_bn-{i}")(h)
    h = layers.ReLU(name=f"expand_relu-{i}")(h)
    if len(kernel_sizes) == 1:
        h = layers.DepthwiseConv2D((kernel_sizes[0], 1), strides=_time_strides(strides), padding="same",
                                   use_bias=False, name=f"mtconv-{i}")(h)  # fmt: skip
    else:
        h = MultiScaleTemporalConv(kernel_sizes, strides=strides, name=f"mtconv-{i}")(h)
    h = layers.BatchNormalization(epsilon=_BN_EPSILON, name=f"mtconv_bn-{i}")(h)
    h = layers.ReLU(name=f"mtconv_relu-{i}")(h)
    h = layers.Conv2D(channels, 1, use_bias=False, name=f"pointwise_contract_conv-{i}")(h)
    h = layers.BatchNormalization(epsilon=_BN_EPSILON, name=f"contract_bn-{i}")(h)
    if strides > 1:
        r = layers.Conv2D(channels, 1, strides=(strides, 1), use_bias=False,
                          name=f"strided_residual-{i}")(x)  # fmt: skip
        r = layers.BatchNormalization(epsilon=_BN_EPSILON, name=f"residual_bn-{i}")(r)
        x = layers.ReLU(name=f"residual_relu-{i}")(r)
    return layers.ReLU(name=f"block_relu-{i}")(layers.Add(name=f"add-{i}")([h, x]))


def merge_multiscale(model: keras.Model) -> keras.Model:
    """Return a copy of ``model`` with each multi-scale convolution folded into one depthwise conv.

    Each :class:`MultiScaleTemporalConv` becomes a ``DepthwiseConv2D`` (longest kernel, no bias)
    of the same name; the branches' batch normalisations are folded into its kernel and their
    summed bias into the moving mean of the batch normalisation that follows (a bias is kept on
    the convolution when no such layer follows). Inference outputs are unchanged (float
    rounding aside) and the result has the layer structure of a single-scale TENet. Layers of
    other kinds keep their weights. ``model`` itself is not modified.
    """
    followers = _batch_norm_followers(model)
    merged = {}
    for layer in model.layers:
        if isinstance(layer, MultiScaleTemporalConv):
            kernel, bias = layer.merged_weights()
            merged[layer.name] = (layer, kernel, bias, followers.get(layer.name))

    def clone(layer):
        if layer.name not in merged:
            return layer.__class__.from_config(layer.get_config())
        original, kernel, _, follower = merged[layer.name]
        return layers.DepthwiseConv2D(
            (kernel.shape[0], 1), strides=_time_strides(original.strides), padding="same",
            use_bias=follower is None, name=layer.name,
        )  # fmt: skip

    result = keras.models.clone_model(model, clone_function=clone)
    folded_bias = {}
    for original, kernel, bias, follower in merged.values():
        target = result.get_layer(original.name)
        target.set_weights([kernel] if follower is not None else [kernel, bias])
        if follower is not None:
            folded_bias[follower] = bias
    for layer in model.layers:
        weights = layer.get_weights()
        if layer.name in merged or not weights:
            continue
        if layer.name in folded_bias:  # BN(x + b) with mean m == BN(x) with mean m - b
            gamma, beta, mean, var = weights
            weights = [gamma, beta, mean - folded_bias[layer.name], var]
        result.get_layer(layer.name).set_weights(weights)
    return result


def _batch_norm_followers(model: keras.Model) -> dict[str, str]:
    """Map a layer name to the BatchNormalization that is its only consumer, where there is one."""
    consumers: dict[str, list] = {}
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                producer = tensor._keras_history.operation
                consumers.setdefault(producer.name, []).append(layer)
    return {
        name: users[0].name
        for name, users in consumers.items()
        if len(users) == 1 and isinstance(users[0], layers.BatchNormalization)
    }


def _check_input(input_shape) -> tuple[int, int]:
    shape = tuple(input_shape)
    if len(shape) != 3 or any(not isinstance(d, int) or d < 1 for d in shape) or (
        shape[1] != 1 and shape[2] != 1
    ):
        raise SettingsError(
            f"TENet input_shape={input_shape} must be (time, 1, features) or (time, features, 1) "
            "with positive sizes, e.g. (98, 1, 104)"
        )
    time = shape[0]
    features = shape[2] if shape[1] == 1 else shape[1]
    return time, features


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or value < 1:
            shown = value + 1 if name == "num_classes" else value
            need = "an integer >= 2" if name == "num_classes" else "a positive integer"
            raise SettingsError(f"TENet {name}={shown} must be {need}")

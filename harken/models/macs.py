"""Multiply-accumulate counts of a Keras model, per layer, as the microcontroller computes them.

In: a built Keras model. Out: ``LayerMacs`` rows for every Conv2D, DepthwiseConv2D, Dense and
multi-scale temporal convolution (sum of its branches), and their total.

Counted: kernel multiplications only (no bias add, activation, batch normalisation, pooling),
which is how TFLite profilers count MACs: the small on/off CNN on (49, 32, 1) gives 278,144.
Other layers count 0. It does not look at .tflite files (:mod:`harken.profile.counting` counts those).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from harken.models.tenet import MultiScaleTemporalConv


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerMacs:
    """MACs of one layer: ``name``, Keras class ``kind`` and ``macs``."""

    name: str
    kind: str
    macs: int


def layer_macs(model: keras.Model) -> list[LayerMacs]:
    """MACs of every counted layer of ``model``, in layer order (batch size 1)."""
    rows = []
    for layer in _flat_layers(model):
        macs = _macs(layer)
        if macs is not None:
            rows.append(LayerMacs(name=layer.name, kind=type(layer).__name__, macs=macs))
    return rows


def count_macs(model: keras.Model) -> int:
    """Total MACs of one inference (batch size 1).

    Examples
    --------
    >>> from harken.models.cnn import build_cnn
    >>> count_macs(build_cnn((49, 32, 1), 4))
    278144
    """
    return sum(row.macs for row in layer_macs(model))


def _flat_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _flat_layers(layer)
        else:
            yield layer


def _spatial(shape) -> int:
    return int(np.prod([d for d in shape[1:-1]]))


def _macs(layer) -> int | None:
    if isinstance(layer, MultiScaleTemporalConv):
        out = layer.output.shape
        return _spatial(out) * out[-1] * sum(layer.kernel_sizes)
    if isinstance(layer, layers.DepthwiseConv2D):
        out = layer.output.shape
        kh, kw = layer.kernel_size
        return _spatial(out) * out[-1] * kh * kw
    if isinstance(layer, layers.Conv2D):  # after DepthwiseConv2D: it is not a subclass, but be safe
        out = layer.output.shape
        kh, kw = layer.kernel_size
        in_channels = layer.input.shape[-1] // layer.groups
        return _spatial(out) * out[-1] * kh * kw * in_channels
    if isinstance(layer, layers.Dense):
        return int(np.prod(layer.input.shape[1:])) * layer.units
    return None

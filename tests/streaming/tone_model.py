"""A tiny int8 .tflite that hears the tone "words" of ``streams.py``: 300 Hz is on, 900 Hz off, 1800 Hz _unknown_.

Its weights are set by hand (nothing is trained): the maximum of each mel channel over the window, then
a dense layer scoring the channels each tone lights (8 kHz, 16 channels: 0-2, 5-7 and 9-11) against the
others, with a bias towards _unknown_ so that noise, which lights every channel, is rejected. Building it
converts with TensorFlow once (a few seconds); the stream tests share one (``conftest.py``'s ``tones``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.streaming.streams import FREQ_HZ, RATE, burst_clip

FE = {"fe.sample_rate_hz": RATE, "fe.sample_length_ms": 1000, "fe.window_size_ms": 30, "fe.window_step_ms": 20,
      "fe.filterbank_n_channels": 16, "fe.filterbank_upper_band_limit": 3800.0}  # fmt: skip
CLASSES = ["on", "off", "_unknown_"]
INPUT_SHAPE = (49, 16, 1)
CHANNELS = {"on": (0, 1, 2), "off": (5, 6, 7), "_unknown_": (9, 10, 11)}
DETECTION = {"average_window_duration_ms": 300, "minimum_count": 2, "detection_threshold_list": [180, 180, 255],
             "suppression_ms": 700, "latency_ms": 100, "volume_gain": 0.0}  # fmt: skip


def _weights() -> tuple[np.ndarray, np.ndarray]:
    lit = np.zeros((16, 3), np.float32)
    others = np.ones(16, bool)
    for k, name in enumerate(CLASSES):
        lit[list(CHANNELS[name]), k] = 1.0 / 3
        others[list(CHANNELS[name])] = False
    kernel = 0.05 * (lit - others[:, None] / others.sum())
    return kernel, np.array([0.0, 0.0, 3.0], np.float32)


def build_tone_model(path: Path, **params) -> Path:
    """Write the model (classes, fe.* and DETECTION embedded, overridden by ``params``) to ``path``."""
    import keras
    import tensorflow as tf

    from harken.export.tflite import write_params
    from harken.frontend import FrontendSettings, compute_spectrograms

    inputs = keras.Input(INPUT_SHAPE)
    x = keras.layers.Reshape(INPUT_SHAPE[:2])(inputs)
    x = keras.layers.GlobalMaxPooling1D()(x)
    dense = keras.layers.Dense(3)
    outputs = keras.layers.Softmax()(dense(x))
    model = keras.Model(inputs, outputs)
    dense.set_weights(list(_weights()))
    rng = np.random.default_rng(0)
    clips = [burst_clip(f * (1 + 0.05 * i), rng) for f in FREQ_HZ.values() for i in range(3)]
    clips += [(0.01 * rng.standard_normal(RATE)).astype(np.float32) for _ in range(3)]
    spectrograms = compute_spectrograms(np.stack(clips), FrontendSettings.from_dict(FE)).astype(np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    converter.representative_dataset = lambda: ([s.reshape(1, *INPUT_SHAPE)] for s in spectrograms)
    embedded = {"name": "tones", "classes": CLASSES, **FE, **DETECTION, **params}
    path.write_bytes(write_params(converter.convert(), embedded))
    return path

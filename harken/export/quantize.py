"""Quantization: a trained Keras model in, a float32 and a fully int8 .tflite with embedded settings out.

In: a Keras model, representative spectrograms (float32 holding int8 values, drawn from the
validation data) and the spec. Out: ``.tflite`` bytes; the int8 model has int8 input and output
and carries the ``SL_PARAMSv1`` settings (name, version, description, classes, ``hash``,
``date``, ``runtime_memory_size`` measured in the TFLM interpreter, detection and ``fe.*``
settings). Running a .tflite (checks, evaluation) is :mod:`harken.runtime.runner`'s job.

The model is converted through a copy with a batch-1 input (``keras.Input(shape,
batch_size=1)``): a variable batch makes ``Flatten`` convert to extra shape ops. Multi-scale
TENet convolutions are merged first (:func:`harken.models.tenet.merge_multiscale`).
Training feeds the int8 spectrogram values as float32 (-128..127), so the int8 input should come
out with scale 1.0 and zero point 0 (the firmware feeds the front end's int8 values unchanged):
calibration is pinned to that range and :func:`input_quantization` reads it back.
It does not train or evaluate.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harken._util.atomic import write_bytes_atomic
from harken._util.interrupts import interrupts_deferred, interrupts_watched
from harken.errors import ModelFileError
from harken.export.tflite.params import params_hash, read_params, write_params
from harken.profile.arena import measure_arena_size
from harken.runtime.runner import TfliteRunner
from harken.spec.model_spec import ModelSpec

log = logging.getLogger(__name__)

REPRESENTATIVE_FILE = "representative.npy"
INPUT_SCALE_TOLERANCE = 0.02


@dataclass(slots=True, kw_only=True)
class QuantizeResult:
    """Paths written and what the int8 model looks like."""

    tflite_path: Path
    float_tflite_path: Path | None
    input_scale: float
    input_zero_point: int
    runtime_memory_size: int
    params: dict[str, Any]

    @property
    def input_is_identity(self) -> bool:
        """True when int8 spectrogram values can be fed unchanged (scale ~1, zero point 0)."""
        return abs(self.input_scale - 1.0) <= INPUT_SCALE_TOLERANCE and self.input_zero_point == 0


def tflite_paths(spec: ModelSpec, work_dir: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """(int8 ``NAME.tflite``, ``NAME.float32.tflite``) in the work directory."""
    folder = Path(work_dir) if work_dir is not None else spec.work_dir()
    return folder / f"{spec.name}.tflite", folder / f"{spec.name}.float32.tflite"


def representative_samples(x: np.ndarray, num_samples: int, *, seed: int = 0) -> np.ndarray:
    """``num_samples`` rows of ``x`` drawn without replacement (all of them if fewer), seeded."""
    rng = np.random.default_rng([seed, 7])
    if len(x) <= num_samples:
        return np.asarray(x, dtype=np.float32)
    index = np.sort(rng.choice(len(x), size=num_samples, replace=False))
    return np.asarray(x[index], dtype=np.float32)


def conversion_model(model):
    """A batch-1 copy of ``model`` ready for the converter (multi-scale convolutions merged)."""
    import keras

    from harken.models.tenet import MultiScaleTemporalConv, merge_multiscale

    if any(isinstance(layer, MultiScaleTemporalConv) for layer in model.layers):
        model = merge_multiscale(model)
    inputs = keras.Input(shape=tuple(model.input_shape[1:]), batch_size=1, name="input")
    outputs = model(inputs, training=False)
    return keras.Model(inputs, outputs, name=model.name)


def convert_float(model) -> bytes:
    """Float32 .tflite bytes of ``model``."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(conversion_model(model))
    return _convert_quietly(converter)


def convert_int8(model, representative: np.ndarray, *, pin_input_range: bool = True) -> bytes:
    """Fully int8 .tflite bytes (int8 ops, int8 input and output) calibrated on ``representative``.

    Parameters
    ----------
    model : keras.Model
    representative : np.ndarray [shape=(n, *model input shape)], float32
        Un-augmented spectrograms (int8 values as float32), typically 100-500.
    pin_input_range : bool
        When the samples do not reach both -128 and 127, add one copy of the first sample with
        two values set to those limits, so that the int8 input gets scale 1 and zero point 0
        (the firmware feeds the front end's int8 values unchanged).
    """
    import tensorflow as tf

    samples = np.asarray(representative, dtype=np.float32)
    if samples.ndim != len(model.input_shape) or len(samples) == 0:
        raise ModelFileError(f"representative samples of shape {samples.shape} do not match the model input "
                             f"{model.input_shape}; give (n, {', '.join(map(str, model.input_shape[1:]))})")
    if pin_input_range and (samples.min() > -128.0 or samples.max() < 127.0):
        pinned = samples[:1].copy()  # one extra sample: a real one with two values at the int8 limits
        pinned.flat[0], pinned.flat[-1] = -128.0, 127.0
        samples = np.concatenate([samples, pinned])
        log.info("representative samples span %g..%g; one pinned sample widens the input range to -128..127",
                 float(samples[:-1].min()), float(samples[:-1].max()))
    converter = tf.lite.TFLiteConverter.from_keras_model(conversion_model(model))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    converter.representative_dataset = lambda: ([s[None]] for s in samples)
    return _convert_quietly(converter)


def _convert_quietly(converter) -> bytes:
    """Run the converter with its Python prints ("Saved artifact at ...") sent to the debug log, its C++ summary hidden."""
    import warnings

    from harken._util.tfquiet import hidden_chatter

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), warnings.catch_warnings(), hidden_chatter():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        data = bytes(converter.convert())
    log.debug("converter output:\n%s", buffer.getvalue())
    return data


def input_quantization(tflite_bytes: bytes) -> tuple[float, int]:
    """(scale, zero point) of the model's input tensor (0.0, 0 for a float input)."""
    scale, zero_point = TfliteRunner(tflite_bytes, interpreter="litert").input["quantization"]
    return float(scale), int(zero_point)


def embed_params(tflite_bytes: bytes, spec: ModelSpec, *, measure_memory: bool = True,
                 date: str | None = None) -> bytes:
    """Return ``tflite_bytes`` with the spec's settings as ``SL_PARAMSv1``.

    ``hash`` is the md5 of the model written with ``hash`` and ``date`` empty; ``date`` is now
    (ISO 8601, UTC) unless given; ``runtime_memory_size`` is the TFLM arena (int8 models).
    """
    params = spec.model_params()
    ordered: dict[str, Any] = {k: params.pop(k) for k in ("name", "version", "description", "classes")}
    ordered["hash"] = ""
    ordered["date"] = ""
    if measure_memory:
        ordered["runtime_memory_size"] = measure_arena_size(tflite_bytes)
    ordered.update(params)
    ordered["hash"] = params_hash(tflite_bytes, ordered)
    ordered["date"] = date or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return write_params(tflite_bytes, ordered)


def quantize(spec: ModelSpec, *, model=None, representative: np.ndarray | None = None,
             work_dir: str | os.PathLike | None = None) -> QuantizeResult:
    """Write ``NAME.tflite`` (int8) and ``NAME.float32.tflite`` into the work directory.

    Both are converted first and then written together, so Ctrl-C (``KeyboardInterrupt``, always
    raised, even when the converter caught it) leaves either both old files or both new ones.
    Without ``model``, loads the trained ``NAME.keras`` of the work directory; without
    ``representative``, uses the ``representative.npy`` saved there by training.

    Raises
    ------
    ModelFileError
        When the saved model or representative samples are missing (train first).
    """
    folder = Path(work_dir) if work_dir is not None else spec.work_dir()
    spec.validate()
    if representative is None:
        rep_path = folder / REPRESENTATIVE_FILE
        if not rep_path.is_file():
            raise ModelFileError(f"{rep_path}: no representative samples; run 'harken train {spec.name}' first")
        representative = np.load(rep_path)
    int8_path, float_path = tflite_paths(spec, folder)
    with interrupts_watched() as check:  # TensorFlow may swallow a Ctrl-C: check() raises it again
        if model is None:
            model = load_trained_model(spec, folder)
        int8 = embed_params(convert_int8(model, representative), spec)
        check()
        floating = None
        if spec.quantization.float_model:
            floating = embed_params(convert_float(model), spec, measure_memory=False)
            check()
    with interrupts_deferred():  # both models or neither: never a new int8 beside an old float32
        write_bytes_atomic(int8_path, int8)
        if floating is not None:
            write_bytes_atomic(float_path, floating)
    float_written = float_path if floating is not None else None
    scale, zero_point = input_quantization(int8)
    params = read_params(int8)
    result = QuantizeResult(tflite_path=int8_path, float_tflite_path=float_written, input_scale=scale,
                            input_zero_point=zero_point, runtime_memory_size=int(params["runtime_memory_size"]),
                            params=params)
    if not result.input_is_identity:
        log.warning("%s: int8 input scale %.4f, zero point %d (expected 1.0 and 0): the representative samples "
                    "do not span -128..127, so the firmware's int8 spectrogram is not the model's input",
                    int8_path, scale, zero_point)
    return result


def load_trained_model(spec: ModelSpec, work_dir: str | os.PathLike | None = None):
    """The trained Keras model ``NAME.keras`` of the work directory."""
    from harken.models.keras_file import load_keras_model

    path = Path(work_dir if work_dir is not None else spec.work_dir()) / f"{spec.name}.keras"
    if not path.is_file():
        raise ModelFileError(f"{path}: no trained model; run 'harken train {spec.name}' first")
    return load_keras_model(path)

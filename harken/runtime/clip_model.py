"""Score clips with a trained model the way the firmware does.

In: a ``.tflite`` (int8, parameters embedded) or ``.keras`` model file. Out: a :class:`ClipModel`
that knows its classes and front-end settings and turns int8 spectrograms into scores.

Firmware conventions, followed exactly:

- the front end is driven by the model's own embedded ``fe.*`` settings;
- the int8 spectrogram is the model input. When the input tensor is int8 with scale 1 and zero point 0
  (the case for harken models) it is fed unchanged; other input quantizations get
  ``q = round(x / scale) + zero_point``, clipped; float inputs get the int8 values as floats;
- the **uint8 score** that the firmware averages and compares with ``detection_threshold_list`` is
  ``q + 128`` for an int8 output (``q`` for uint8). For a float output (Keras) it is
  ``clip(round(p * 256), 0, 255)``, which equals ``q + 128`` for the standard int8 softmax
  quantization (scale 1/256, zero point -128). Probabilities are the dequantized outputs.

A ``.tflite`` runs through :class:`harken.runtime.runner.TfliteRunner`: by default in the
microcontroller interpreter itself (TensorFlow Lite Micro), one clip at a time, so its outputs are the
device's; ``interpreter="litert"`` runs LiteRT's reference kernels instead (batched, ~2x faster, on a
TENet 1 of 300 inputs one int8 step apart). TensorFlow is never imported on the ``.tflite`` path.
A ``.keras`` file needs TensorFlow/Keras (imported when it is loaded), and its front-end settings and
classes come from a sibling ``.tflite`` or from the caller. This module does not read audio or compute
metrics.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harken.errors import ModelFileError, SettingsError
from harken.frontend import FrontendSettings
from harken.runtime.interpreters import INTERPRETERS
from harken.runtime.runner import TfliteRunner

log = logging.getLogger(__name__)

MODEL_SUFFIXES = (".tflite", ".keras")
FE_PREFIX = "fe."

__all__ = ["MODEL_SUFFIXES", "ClipModel", "KerasRunner", "detection_thresholds", "load_clip_model",
           "output_to_scores"]


def output_to_scores(output: np.ndarray, *, dtype: Any, scale: float, zero_point: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw model output -> ``(probabilities float32, uint8 scores)`` by the firmware's rules.

    Examples
    --------
    >>> p, s = output_to_scores(np.array([[127, -128]], np.int8), dtype=np.int8, scale=1 / 256, zero_point=-128)
    >>> p.tolist(), s.tolist()
    ([[0.99609375, 0.0]], [[255, 0]])
    """
    dtype = np.dtype(dtype)
    if dtype == np.int8:
        scores = (output.astype(np.int16) + 128).astype(np.uint8)
    elif dtype == np.uint8:
        scores = output.astype(np.uint8)
    else:
        probabilities = output.astype(np.float32)
        return probabilities, np.clip(np.rint(probabilities * 256.0), 0, 255).astype(np.uint8)
    if scale == 0:  # not quantized: treat the integers as the 0..255 scale
        return scores.astype(np.float32) / 256.0, scores
    return (scale * (output.astype(np.float32) - zero_point)).astype(np.float32), scores


class KerasRunner:
    """A ``.keras`` model behind the :class:`TfliteRunner` interface (float32 in and out); loading it imports TF."""

    def __init__(self, path: str | os.PathLike, *, max_batch_size: int = 256) -> None:
        from harken.models.keras_file import load_keras_model

        self.model = load_keras_model(path)
        self._max_batch_size = max_batch_size
        self.input = {"dtype": np.float32, "quantization": (0.0, 0)}
        self.output = {"dtype": np.float32, "quantization": (0.0, 0)}
        self.input_shape = tuple(int(d) for d in self.model.input_shape[1:])
        self.output_shape = tuple(int(d) for d in self.model.output_shape[1:])
        self.num_outputs = int(np.prod(self.output_shape))

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """The values as float32 (what training fed the model)."""
        return np.asarray(x, dtype=np.float32)

    def run(self, x: np.ndarray) -> np.ndarray:
        """Outputs ``[n, *output_shape]`` of float32 inputs ``[n, *input_shape]``."""
        out = self.model.predict(x, batch_size=self._max_batch_size, verbose=0)
        return np.asarray(out).reshape(x.shape[0], *self.output_shape)


class ClipModel:
    """A model with its classes and front end, scoring int8 spectrograms as the firmware would.

    Build it with :func:`load_clip_model`. ``predict(spectrograms)`` returns
    ``(probabilities [n, classes] float32, scores [n, classes] uint8)``.
    """

    def __init__(self, *, path: str, kind: str, classes: Sequence[str], frontend: FrontendSettings,
                 params: dict[str, Any], runner: TfliteRunner | KerasRunner) -> None:  # fmt: skip
        self.path, self.kind = path, kind
        self.classes = tuple(classes)
        self.frontend, self.params = frontend, dict(params)
        self.input_shape = runner.input_shape
        self._runner = runner

    def __repr__(self) -> str:
        return f"ClipModel({self.path!r}, kind={self.kind!r}, classes={list(self.classes)})"

    def detection_thresholds(self) -> list[int] | None:
        """The embedded per-class thresholds (0..255): ``detection_threshold_list``, else
        ``detection_threshold`` for every class, else None."""
        return detection_thresholds(self.params, self.classes, source=self.path)

    def _model_input(self, spectrograms: np.ndarray) -> np.ndarray:
        x = np.asarray(spectrograms)
        per_clip = int(np.prod(x.shape[1:]))
        if per_clip != int(np.prod(self.input_shape)):
            raise ModelFileError(
                f"{self.path}: the front end gives {x.shape[1:]} spectrograms ({per_clip} values) but the model "
                f"input is {self.input_shape}; the embedded fe.* settings do not match the model"
            )
        return self._runner.quantize(x.reshape((x.shape[0], *self.input_shape)))

    def predict(self, spectrograms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores of int8 spectrograms ``[n, frames, channels]``: (probabilities, uint8 scores)."""
        x = self._model_input(spectrograms)
        out = self._runner.run(x).reshape(x.shape[0], -1)
        scale, zero_point = self._runner.output["quantization"]
        return output_to_scores(out, dtype=self._runner.output["dtype"], scale=scale, zero_point=zero_point)


def detection_thresholds(params: dict[str, Any], classes: Sequence[str], *, source: str) -> list[int] | None:
    """Per-class thresholds from model parameters (see :meth:`ClipModel.detection_thresholds`)."""
    if "detection_threshold_list" in params:
        values = list(params["detection_threshold_list"])
        if len(values) != len(classes):
            raise SettingsError(
                f"{source}: detection_threshold_list has {len(values)} values for {len(classes)} classes "
                f"{list(classes)}; run 'harken calibrate' to write one threshold per class"
            )
    elif "detection_threshold" in params:
        values = [params["detection_threshold"]] * len(classes)
    else:
        return None
    if any(not 0 <= int(v) <= 255 for v in values):
        raise SettingsError(f"{source}: detection thresholds {values} must be in 0..255 (the uint8 score scale)")
    return [int(v) for v in values]


def _frontend_from_params(params: dict[str, Any], source: str) -> FrontendSettings | None:
    fe = {k: v for k, v in params.items() if k.startswith(FE_PREFIX)}
    return FrontendSettings.from_dict(fe, source=f"{source} (embedded fe.* settings)") if fe else None


def _sibling_tflite(path: Path) -> Path | None:
    same = path.with_suffix(".tflite")
    if same.is_file():
        return same
    candidates = sorted(path.parent.glob("*.tflite"))
    return candidates[0] if len(candidates) == 1 else None


def _embedded_params(path: Path) -> tuple[dict[str, Any], Path | None]:
    """(embedded settings, file they came from): the .tflite's own, or a sibling's for a .keras."""
    from harken.export.tflite.metadata import parse_model
    from harken.export.tflite.params import read_params

    suffix = path.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise ModelFileError(f"{path}: unknown model type {suffix!r}; give a .tflite or .keras file")
    source = path if suffix == ".tflite" else _sibling_tflite(path)
    if source is None:
        return {}, None
    parse_model(source)  # a damaged model is named as such, not as one "without settings"
    return read_params(source), source


def _classes(path: Path, params: dict[str, Any], classes: Sequence[str] | None) -> tuple[str, ...]:
    if classes is not None:
        if params.get("classes") and list(params["classes"]) != list(classes):
            log.warning("%s: using classes %s instead of the embedded %s", path, list(classes), params["classes"])
        return tuple(classes)
    if params.get("classes"):
        return tuple(params["classes"])
    raise ModelFileError(f"{path}: the model carries no class names; pass them with --classes on,off,_unknown_")


def _tflite_runner(path: Path, *, max_batch_size: int, interpreter: str) -> TfliteRunner:
    runner = TfliteRunner(path.read_bytes(), source=str(path), interpreter=interpreter, max_batch_size=max_batch_size)
    scale, zero_point = runner.input["quantization"]
    if np.dtype(runner.input["dtype"]) != np.float32 and (scale, zero_point) not in ((1.0, 0), (0.0, 0)):
        log.warning("%s: input scale %g, zero point %d (not 1, 0): the spectrogram is quantized with them, "
                    "but firmware that feeds the front end's int8 values unchanged will see other inputs",
                    path, scale, zero_point)  # fmt: skip
    return runner


def load_clip_model(
    path: str | os.PathLike,
    *,
    settings: str | os.PathLike | None = None,
    classes: Sequence[str] | None = None,
    max_batch_size: int = 256,
    interpreter: str = "tflm",
) -> ClipModel:
    """Load a ``.tflite`` or ``.keras`` model with its classes and front-end settings.

    Parameters
    ----------
    path : str or PathLike
        The model file.
    settings : str or PathLike, optional
        A JSON file of ``fe.*`` settings, used instead of the embedded ones (needed for a ``.keras``
        model without a sibling ``.tflite``).
    classes : sequence of str, optional
        Class names, used instead of the embedded ``classes``.
    max_batch_size : int > 0
        Clips per interpreter call (LiteRT and Keras only).
    interpreter : {"tflm", "litert"}
        For a ``.tflite``: TensorFlow Lite Micro (the device's outputs) or LiteRT's reference kernels
        (faster, batched, rarely one int8 step apart from TFLM).

    Raises
    ------
    ModelFileError
        Missing or unreadable file, no front-end settings or classes, classes not matching the outputs.

    Examples
    --------
    >>> model = load_clip_model("on_off.tflite")  # doctest: +SKIP
    >>> model.classes  # doctest: +SKIP
    ('on', 'off', '_unknown_', '_silence_')
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file; give a .tflite or .keras file")
    if max_batch_size < 1:
        raise SettingsError(f"max_batch_size={max_batch_size} must be >= 1")
    if interpreter not in INTERPRETERS:
        raise SettingsError(f"interpreter={interpreter!r}: use one of {', '.join(INTERPRETERS)}")
    params, params_source = _embedded_params(path)
    frontend = FrontendSettings.load(settings) if settings is not None else _frontend_from_params(params, str(params_source))
    if frontend is None:
        if params_source is None:
            problem = f"{path}: no fe.* settings (no sibling .tflite beside it)"
        elif Path(params_source) == path:
            problem = f"{path}: the model carries no fe.* settings"
        else:
            problem = f"{path}: its sibling {params_source} carries no fe.* settings"
        raise ModelFileError(f"{problem}; pass the front-end settings with --settings FILE.json")
    classes = _classes(path, params, classes)
    kind = path.suffix.lower()[1:]
    if kind == "tflite":
        runner: TfliteRunner | KerasRunner = _tflite_runner(path, max_batch_size=max_batch_size, interpreter=interpreter)
    else:
        runner = KerasRunner(path, max_batch_size=max_batch_size)
    if runner.num_outputs != len(classes):
        raise ModelFileError(
            f"{path}: the model has {runner.num_outputs} outputs but {len(classes)} classes {list(classes)}; "
            "give one class name per output"
        )
    return ClipModel(path=str(path), kind=kind, classes=classes, frontend=frontend, params=params, runner=runner)

"""Run a trained model on clips the way the firmware does.

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

A ``.tflite`` runs in the microcontroller interpreter itself (TensorFlow Lite Micro, the
``tflite-micro`` package), one clip at a time: its outputs are the device's. ``interpreter="litert"``
runs LiteRT's reference kernels instead (batched, ~2x faster); they are what TFLM is built from but
not bit-identical: on a TENet, 1 of 300 inputs differed by one int8 step in one output. TensorFlow is
never imported on the ``.tflite`` path.
A ``.keras`` file needs TensorFlow/Keras, and its front-end settings and classes come from a sibling
``.tflite`` or from the caller. This module does not read audio or compute metrics.
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

log = logging.getLogger(__name__)

MODEL_SUFFIXES = (".tflite", ".keras")
INTERPRETERS = ("tflm", "litert")
FE_PREFIX = "fe."

__all__ = ["ClipModel", "load_clip_model", "output_to_scores"]


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


def litert_interpreter(data: bytes, *, kernels: str = "reference"):
    """A LiteRT interpreter (tensors not yet allocated), one thread.

    ``reference``: the reference kernels TFLM is built from: int8 outputs almost always identical to
    TFLM (tflite-micro); measured: 1 of 300 TENet inputs one step apart, from the FULLY_CONNECTED
    requantization rounding. Measured on the on_off_offline TENet: the optimized ``builtin`` kernels (no
    XNNPACK) differ by up to 5 int8 steps on 9 of 40 inputs and LiteRT's default ``xnnpack`` by up
    to 21; reference kernels cost ~2 ms per TENet inference (builtin ~5x faster).
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolvers = {"builtin": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                 "reference": OpResolverType.BUILTIN_REF, "xnnpack": OpResolverType.AUTO}
    if kernels not in resolvers:
        raise ValueError(f"kernels={kernels!r}: use one of {', '.join(resolvers)}")
    return Interpreter(model_content=bytes(data), num_threads=1,
                       experimental_op_resolver_type=resolvers[kernels])  # fmt: skip


class _TfliteRunner:
    """A ``.tflite`` in TFLM (one clip per call) or in LiteRT (batched through ``resize_tensor_input``
    when the model allows it). Tensor details come from LiteRT in both cases."""

    def __init__(self, data: bytes, source: str, *, max_batch_size: int = 256, interpreter: str = "litert") -> None:
        if interpreter not in INTERPRETERS:
            raise SettingsError(f"interpreter={interpreter!r}: use one of {', '.join(INTERPRETERS)}")
        self._data, self._source, self._max_batch_size = data, source, max_batch_size
        self.interpreter = interpreter
        self._tflm = None
        try:
            self._single = litert_interpreter(data)
            self._single.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelFileError(f"{source}: the LiteRT interpreter cannot load the model ({exc})") from None
        inputs, outputs = self._single.get_input_details(), self._single.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelFileError(
                f"{source}: expected one input and one output tensor, got {len(inputs)} and {len(outputs)}"
            )
        self.input, self.output = inputs[0], outputs[0]
        self.input_shape = tuple(int(d) for d in self.input["shape"][1:])
        self.num_outputs = int(np.prod(self.output["shape"][1:]))
        self._batched = None  # (interpreter, batch size); False once batching failed
        self.batched_ok: bool | None = None

    def _run_single(self, x: np.ndarray) -> np.ndarray:
        out = np.empty((x.shape[0], self.num_outputs), dtype=self.output["dtype"])
        for i in range(x.shape[0]):
            self._single.set_tensor(self.input["index"], x[i : i + 1])
            self._single.invoke()
            out[i] = self._single.get_tensor(self.output["index"]).reshape(-1)
        return out

    def _run_tflm(self, x: np.ndarray) -> np.ndarray:
        if self._tflm is None:
            from tflite_micro.python.tflite_micro import runtime

            from harken.export.tflite import measure_arena_size

            try:
                arena = measure_arena_size(self._data) + 16 * 1024
                self._tflm = runtime.Interpreter.from_bytes(bytes(self._data), arena_size=arena)
            except (ValueError, RuntimeError) as exc:
                raise ModelFileError(f"{self._source}: the TFLM interpreter cannot load the model ({exc})") from None
        out = np.empty((x.shape[0], self.num_outputs), dtype=self.output["dtype"])
        for i in range(x.shape[0]):
            self._tflm.set_input(x[i : i + 1], 0)
            self._tflm.invoke()
            out[i] = np.asarray(self._tflm.get_output(0)).reshape(-1)
        return out

    def _run_batched(self, x: np.ndarray) -> np.ndarray:
        size = min(self._max_batch_size, x.shape[0])
        if self._batched is None or self._batched[1] < size:
            interpreter = litert_interpreter(self._data)
            interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], [size, *self.input_shape])
            interpreter.allocate_tensors()
            self._batched = (interpreter, size)
        interpreter, size = self._batched
        in_index = interpreter.get_input_details()[0]["index"]
        out_index = interpreter.get_output_details()[0]["index"]
        outs = []
        for start in range(0, x.shape[0], size):
            chunk = x[start : start + size]
            if chunk.shape[0] < size:
                chunk = np.concatenate([chunk, np.zeros((size - chunk.shape[0], *chunk.shape[1:]), chunk.dtype)])
            interpreter.set_tensor(in_index, chunk)
            interpreter.invoke()
            outs.append(interpreter.get_tensor(out_index).reshape(size, -1).copy())
        return np.concatenate(outs)[: x.shape[0]]

    def run(self, x: np.ndarray) -> np.ndarray:
        """Raw outputs ``[n, classes]`` for model-ready inputs ``[n, *input_shape]``."""
        if self.interpreter == "tflm":
            return self._run_tflm(x)
        if x.shape[0] > 1 and self.batched_ok is not False:
            try:
                out = self._run_batched(x)
            except (ValueError, RuntimeError) as exc:
                log.info("%s: batched inference failed (%s); running one clip at a time", self._source, exc)
                self.batched_ok = False
                return self._run_single(x)
            if self.batched_ok is None:  # check once that batching changes nothing
                self.batched_ok = bool(np.array_equal(out[:1], self._run_single(x[:1])))
                if not self.batched_ok:
                    log.info("%s: batched outputs differ from single ones; running one clip at a time", self._source)
                    return self._run_single(x)
            return out
        return self._run_single(x)


class ClipModel:
    """A model with its classes and front end, scoring int8 spectrograms as the firmware would.

    Build it with :func:`load_clip_model`. ``predict(spectrograms)`` returns
    ``(probabilities [n, classes] float32, scores [n, classes] uint8)``.
    """

    def __init__(self, *, path: str, kind: str, classes: Sequence[str], frontend: FrontendSettings,
                 params: dict[str, Any], input_shape: tuple[int, ...], runner: Any) -> None:
        self.path, self.kind = path, kind
        self.classes = tuple(classes)
        self.frontend, self.params = frontend, dict(params)
        self.input_shape = input_shape
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
        x = x.reshape((x.shape[0], *self.input_shape))
        if self.kind == "keras":
            return x.astype(np.float32)
        dtype = np.dtype(self._runner.input["dtype"])
        scale, zero_point = self._runner.input["quantization"]
        if dtype == np.float32:
            return x.astype(np.float32)
        if dtype == np.int8 and (scale, zero_point) in ((1.0, 0), (0.0, 0)):
            return x.astype(np.int8)
        info = np.iinfo(dtype)
        q = np.rint(x.astype(np.float32) / scale) + zero_point
        return np.clip(q, info.min, info.max).astype(dtype)

    def predict(self, spectrograms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores of int8 spectrograms ``[n, frames, channels]``: (probabilities, uint8 scores)."""
        x = self._model_input(spectrograms)
        if self.kind == "keras":
            out = np.asarray(self._runner.predict(x, batch_size=256, verbose=0)).reshape(x.shape[0], -1)
            return output_to_scores(out, dtype=np.float32, scale=0.0, zero_point=0)
        out = self._runner.run(x)
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
        Clips per interpreter call (LiteRT only).
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
    suffix = path.suffix.lower()
    if suffix == ".tflite":
        from harken.export.tflite import read_params

        params_source = path
        params = read_params(path)
    elif suffix == ".keras":
        params_source = _sibling_tflite(path)
        params = {}
        if params_source is not None:
            from harken.export.tflite import read_params

            params = read_params(params_source)
    else:
        raise ModelFileError(f"{path}: unknown model type {suffix!r}; give a .tflite or .keras file")

    frontend = FrontendSettings.load(settings) if settings is not None else _frontend_from_params(params, str(params_source))
    if frontend is None:
        where = f"{params_source} has no fe.* settings" if params_source else f"no sibling .tflite beside {path}"
        raise ModelFileError(f"{path}: {where}; pass the front-end settings with --settings FILE.json")
    if classes is not None:
        classes = tuple(classes)
        if params.get("classes") and list(params["classes"]) != list(classes):
            log.warning("%s: using classes %s instead of the embedded %s", path, list(classes), params["classes"])
    elif params.get("classes"):
        classes = tuple(params["classes"])
    else:
        raise ModelFileError(f"{path}: the model carries no class names; pass them with --classes on,off,_unknown_")

    if suffix == ".tflite":
        runner = _TfliteRunner(path.read_bytes(), str(path), max_batch_size=max_batch_size, interpreter=interpreter)
        input_shape, num_outputs = runner.input_shape, runner.num_outputs
        scale, zero_point = runner.input["quantization"]
        if np.dtype(runner.input["dtype"]) != np.float32 and (scale, zero_point) not in ((1.0, 0), (0.0, 0)):
            log.warning("%s: input scale %g, zero point %d (not 1, 0): the spectrogram is quantized with them, "
                        "but firmware that feeds the front end's int8 values unchanged will see other inputs",
                        path, scale, zero_point)  # fmt: skip
    else:
        from harken.models.keras_file import load_keras_model

        runner = load_keras_model(path)
        input_shape = tuple(int(d) for d in runner.input_shape[1:])
        num_outputs = int(np.prod(runner.output_shape[1:]))
    if num_outputs != len(classes):
        raise ModelFileError(
            f"{path}: the model has {num_outputs} outputs but {len(classes)} classes {list(classes)}; "
            "give one class name per output"
        )
    return ClipModel(path=str(path), kind=suffix[1:], classes=classes, frontend=frontend, params=params,
                     input_shape=input_shape, runner=runner)

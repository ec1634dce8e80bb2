"""Run a ``.tflite`` on the host: the one runner every harken stage uses (export checks, evaluation, training).

In: ``.tflite`` bytes and inputs (spectrogram values, or inputs already in the model's input type).
Out: the raw output tensor per input (int8 for an int8 model), and its dequantized values.

``interpreter="tflm"`` (the default) runs the microcontroller interpreter itself, one input per call:
its outputs are the device's. ``interpreter="litert"`` runs LiteRT (reference kernels unless told
otherwise), batched through ``resize_tensor_input`` when the model allows it and the first batched
output equals the single one. Tensor details (shapes, types, quantization) come from LiteRT in both
cases. Input quantization is ``q = round(x / scale) + zero_point``, clipped to the type; for the int8
input of a harken model (scale 1, zero point 0) that feeds the int8 spectrogram unchanged, as the
firmware does. It does not score or threshold (see :mod:`harken.runtime.clip_model`); TensorFlow is
never imported.

Examples
--------
>>> raw = run_tflite(open("model.tflite", "rb").read(), spectrograms)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from harken.errors import ModelFileError, SettingsError
from harken.runtime.interpreters import INTERPRETERS, litert_interpreter, tflm_interpreter
from harken.runtime.model_checks import check_model_values, check_stored_shapes

log = logging.getLogger(__name__)

__all__ = ["TfliteRunner", "dequantize_output", "quantize_input", "run_tflite"]


def quantize_input(x: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    """Values ``x`` (e.g. int8 spectrogram values as float32) in the input tensor's type.

    Float inputs get float32; integer inputs ``round(x / scale) + zero_point``, clipped to the type
    (scale 0, i.e. not quantized, counts as 1).

    Examples
    --------
    >>> quantize_input(np.array([-3.0, 300.0]), {"dtype": np.int8, "quantization": (1.0, 0)}).tolist()
    [-3, 127]
    """
    dtype = np.dtype(detail["dtype"])
    values = np.asarray(x, dtype=np.float32)
    if dtype == np.float32:
        return values
    scale, zero_point = detail["quantization"]
    info = np.iinfo(dtype)
    return np.clip(np.rint(values / (scale or 1.0)) + zero_point, info.min, info.max).astype(dtype)


def dequantize_output(raw: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    """Raw outputs as float32: ``(q - zero_point) * scale``, float outputs unchanged.

    Examples
    --------
    >>> dequantize_output(np.array([127, -128], np.int8), {"dtype": np.int8, "quantization": (1 / 256, -128)}).tolist()
    [0.99609375, 0.0]
    """
    if np.dtype(detail["dtype"]) == np.float32:
        return np.asarray(raw, dtype=np.float32)
    scale, zero_point = detail["quantization"]
    return (np.asarray(raw).astype(np.float32) - zero_point) * scale


class TfliteRunner:
    """A ``.tflite`` in TFLM or LiteRT: ``run(x)`` gives raw outputs ``[n, *output_shape]`` for model-ready
    inputs ``[n, *input_shape]``; ``quantize``/``dequantize`` convert values to and from the tensors' types.

    Parameters
    ----------
    data : bytes
        The ``.tflite`` model.
    source : str
        Where it came from, for error messages.
    interpreter : {"tflm", "litert"}
        TensorFlow Lite Micro (the device's outputs) or LiteRT.
    kernels : {"reference", "builtin", "xnnpack"}
        LiteRT's kernels (see :func:`harken.runtime.interpreters.litert_interpreter`).
    max_batch_size : int >= 1
        Inputs per LiteRT call.

    Raises
    ------
    SettingsError
        For an unknown interpreter or kernels name, or ``max_batch_size < 1``.
    ModelFileError
        When LiteRT cannot load the model or it has other than one input and one output tensor.
    """

    def __init__(self, data: bytes, *, source: str = "<tflite bytes>", interpreter: str = "tflm",
                 kernels: str = "reference", max_batch_size: int = 256) -> None:  # fmt: skip
        if interpreter not in INTERPRETERS:
            raise SettingsError(f"interpreter={interpreter!r}: use one of {', '.join(INTERPRETERS)}")
        if max_batch_size < 1:
            raise SettingsError(f"max_batch_size={max_batch_size} must be >= 1")
        self._data, self.source, self.interpreter = bytes(data), source, interpreter
        self.kernels, self._max_batch_size = kernels, max_batch_size
        model = check_model_values(self._data, source)  # values that make the native interpreters abort
        try:
            self._single = litert_interpreter(self._data, kernels=kernels)
            self._single.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            if isinstance(exc, SettingsError):
                raise
            raise ModelFileError(f"{source}: the LiteRT interpreter cannot load the model ({exc})") from None
        check_stored_shapes(model, self._single, source)  # TFLM trusts them; LiteRT has just computed them
        inputs, outputs = self._single.get_input_details(), self._single.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelFileError(
                f"{source}: expected one input and one output tensor, got {len(inputs)} and {len(outputs)}"
            )
        self.input, self.output = inputs[0], outputs[0]
        self.input_shape = tuple(int(d) for d in self.input["shape"][1:])
        self.output_shape = tuple(int(d) for d in self.output["shape"][1:])
        self.num_outputs = int(np.prod(self.output_shape))
        self._tflm: Any = None
        self._batched: tuple[Any, int] | None = None
        self.batched_ok: bool | None = None  # None until checked; False once batching failed or differed

    def __repr__(self) -> str:
        return f"TfliteRunner({self.source!r}, interpreter={self.interpreter!r})"

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Values ``x`` in the input tensor's type (see :func:`quantize_input`)."""
        return quantize_input(x, self.input)

    def dequantize(self, raw: np.ndarray) -> np.ndarray:
        """Raw outputs as float32 (see :func:`dequantize_output`)."""
        return dequantize_output(raw, self.output)

    def run(self, x: np.ndarray) -> np.ndarray:
        """Raw outputs ``[n, *output_shape]`` for model-ready inputs ``[n, *input_shape]``."""
        x = np.asarray(x)
        if self.interpreter == "tflm":
            return self._run_tflm(x)
        if x.shape[0] > 1 and self.batched_ok is not False:
            return self._run_checked_batches(x)
        return self._run_single(x)

    def _empty(self, n: int) -> np.ndarray:
        return np.empty((n, *self.output_shape), dtype=self.output["dtype"])

    def _run_single(self, x: np.ndarray) -> np.ndarray:
        out = self._empty(x.shape[0])
        for i in range(x.shape[0]):
            self._single.set_tensor(self.input["index"], x[i : i + 1])
            self._single.invoke()
            out[i] = self._single.get_tensor(self.output["index"]).reshape(self.output_shape)
        return out

    def _run_tflm(self, x: np.ndarray) -> np.ndarray:
        if self._tflm is None:
            self._tflm = tflm_interpreter(self._data, source=self.source)
        out = self._empty(x.shape[0])
        for i in range(x.shape[0]):
            self._tflm.set_input(x[i : i + 1], 0)
            self._tflm.invoke()
            out[i] = np.asarray(self._tflm.get_output(0)).reshape(self.output_shape)
        return out

    def _run_checked_batches(self, x: np.ndarray) -> np.ndarray:
        try:
            out = self._run_batched(x)
        except (ValueError, RuntimeError) as exc:
            log.info("%s: batched inference failed (%s); running one input at a time", self.source, exc)
            self.batched_ok = False
            return self._run_single(x)
        if self.batched_ok is None:  # check once that batching changes nothing
            self.batched_ok = bool(np.array_equal(out[:1], self._run_single(x[:1])))
            if not self.batched_ok:
                log.info("%s: batched outputs differ from single ones; running one input at a time", self.source)
                return self._run_single(x)
        return out

    def _run_batched(self, x: np.ndarray) -> np.ndarray:
        size = min(self._max_batch_size, x.shape[0])
        if self._batched is None or self._batched[1] < size:
            interpreter = litert_interpreter(self._data, kernels=self.kernels)
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
            outs.append(interpreter.get_tensor(out_index).reshape(size, *self.output_shape).copy())
        return np.concatenate(outs)[: x.shape[0]]


def run_tflite(data: bytes, x: np.ndarray, *, interpreter: str = "tflm", kernels: str = "reference") -> np.ndarray:
    """Raw outputs of the model on each row of ``x`` (values quantized to the input type first).

    Parameters
    ----------
    data : bytes
        The ``.tflite`` model.
    x : np.ndarray [shape=(n, *input shape)]
        Inputs as values, e.g. int8 spectrogram values as float32.
    interpreter, kernels
        As for :class:`TfliteRunner`; ``"tflm"`` gives the device's outputs.
    """
    runner = TfliteRunner(data, interpreter=interpreter, kernels=kernels)
    return runner.run(runner.quantize(x))

"""A model ready for the device loop: the int8 ``.tflite``, its front end, recognizer and loop settings.

In: a spec NAME (its trained ``NAME.tflite``), a ``.tflite`` file or a ``NAME.harken.zip`` archive.
Out: a :class:`StreamModel` carrying the embedded SL_PARAMSv1 settings (``fe.*``, the recognizer's,
``volume_gain``, ``latency_ms``) and a runner whose int8 outputs are TFLM's: by default the
microcontroller interpreter itself (``tflite-micro``; ~2 ms per quickstart inference on our Xeon, a
one-hour stream at ~35x real time). ``interpreter="litert"`` runs LiteRT's reference kernels instead,
~1.5x faster but not bit-identical: on the quickstart model 1 window in 100 scored one uint8 step
apart from TFLM (``bench/streaming.py`` counts them). TensorFlow is never imported. It does not read audio.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harken.errors import ModelFileError
from harken.frontend import FrontendSettings
from harken.runtime.runner import TfliteRunner
from harken.streaming.recognizer import RecognizerSettings, scores_to_uint8

log = logging.getLogger(__name__)

ARCHIVE_SUFFIX = ".zip"
# The core whose estimated inference time sets the default hop: the vendor's board (a Cortex-M33 at 78 MHz,
# CMSIS-NN kernels), as `harken profile` estimates it (harken.profile.cycles, docs/profile.md).
DEVICE_TARGET = "cortex-m33"
# The hop when the model's operators cannot be counted: the vendor's 100 ms loop (inference + latency).
DEFAULT_HOP_MS = 100

__all__ = ["DEFAULT_HOP_MS", "DEVICE_TARGET", "StreamModel", "estimate_inference_ms", "load_stream_model",
           "never_detects"]


@dataclass
class StreamModel:
    """An int8 model with everything the device loop needs (build it with :func:`load_stream_model`).

    ``hop_ms`` is the default loop period: the estimated device inference time plus ``latency_ms``.
    """

    path: str
    classes: tuple[str, ...]
    frontend: FrontendSettings
    recognizer: RecognizerSettings
    volume_gain: int
    latency_ms: int
    runner: TfliteRunner
    window_frames: int
    params: dict[str, Any] = field(default_factory=dict)
    inference_ms: int | None = None

    @property
    def hop_ms(self) -> int:
        """The default hop: estimated inference time + ``latency_ms`` (``DEFAULT_HOP_MS`` if not estimated)."""
        return self.loop_period_ms()

    def loop_period_ms(self, latency_ms: int | None = None) -> int:
        """The device's loop period with another ``latency_ms`` (default: the model's own)."""
        if self.inference_ms is None:
            return DEFAULT_HOP_MS
        return max(1, self.inference_ms + (self.latency_ms if latency_ms is None else int(latency_ms)))

    def scores(self, windows: np.ndarray) -> np.ndarray:
        """uint8 scores [n, classes] of int8 windows [n, frames, channels], as the firmware converts them."""
        x = np.asarray(windows).reshape((len(windows), *self.runner.input_shape))
        raw = self.runner.run(self.runner.quantize(x)).reshape(len(windows), -1)
        return scores_to_uint8(raw, self.runner.output["dtype"])


def estimate_inference_ms(data: bytes) -> int | None:
    """Device inference time in whole ms (rounded up): ``harken profile``'s estimate on ``DEVICE_TARGET``."""
    from harken.profile.counting import read_operators
    from harken.profile.cycles import TARGETS, operator_cycles

    target = TARGETS[DEVICE_TARGET]
    try:
        cycles = sum(operator_cycles(op, target) for op in read_operators(data))
    except (ValueError, KeyError, AttributeError, ModelFileError) as exc:
        log.info("cannot count the model's operators (%s); default hop %d ms", exc, DEFAULT_HOP_MS)
        return None
    return max(1, math.ceil(cycles * 1000 / target.clock_hz))


def _model_bytes(model: str | os.PathLike) -> tuple[bytes, str]:
    """The .tflite bytes of a file, an archive's ``NAME.tflite``, or a spec NAME's trained model."""
    path = Path(model).expanduser()
    if path.suffix.lower() == ARCHIVE_SUFFIX:
        from harken.export.archive import archive_names, read_archive_file

        if not path.is_file():
            raise ModelFileError(f"{path}: no such archive")
        names = [n for n in archive_names(path) if n.endswith(".tflite") and not n.endswith(".float32.tflite")]
        if len(names) != 1:
            raise ModelFileError(f"{path}: expected one int8 .tflite in the archive, found {names or 'none'}")
        return read_archive_file(path, names[0]), f"{path}:{names[0]}"
    if path.suffix.lower() != ".tflite":
        from harken.evaluation.scoring import resolve_model

        path = resolve_model(model)
        if path.suffix.lower() != ".tflite":
            raise ModelFileError(f"{path}: the device loop needs the int8 .tflite; give it or its archive")
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file; give a .tflite, an archive or a model NAME")
    return path.read_bytes(), str(path)


def load_stream_model(model: str | os.PathLike, *, interpreter: str = "tflm") -> StreamModel:
    """Load a spec NAME, ``.tflite`` or archive for the device loop.

    Parameters
    ----------
    model : str or PathLike
    interpreter : {"tflm", "litert"}
        ``tflm``: the microcontroller interpreter (the device's outputs); ``litert``: LiteRT's reference
        kernels (faster, rarely one uint8 step apart from TFLM).

    Raises
    ------
    ModelFileError
        Missing or unreadable model, no classes or ``fe.*`` settings, input not one front-end window.

    Examples
    --------
    >>> m = load_stream_model("on_off_offline")  # doctest: +SKIP
    >>> m.classes, m.hop_ms  # doctest: +SKIP
    (('on', 'off', '_unknown_'), 77)
    """
    from harken.export.tflite.params import read_params

    data, source = _model_bytes(model)
    params = read_params(data)
    fe = {k: v for k, v in params.items() if k.startswith("fe.")}
    if not fe:
        raise ModelFileError(f"{source}: no embedded fe.* settings; the device loop needs the model's front end")
    frontend = FrontendSettings.from_dict(fe, source=f"{source} (embedded fe.* settings)")
    classes = tuple(params.get("classes") or ())
    if not classes:
        raise ModelFileError(f"{source}: the model carries no class names; add them with 'harken update-params'")
    runner = TfliteRunner(data, source=source, interpreter=interpreter)
    if runner.num_outputs != len(classes):
        raise ModelFileError(f"{source}: {runner.num_outputs} outputs but {len(classes)} classes {list(classes)}")
    frames, channels = frontend.spectrogram_shape
    if int(np.prod(runner.input_shape)) != frames * channels:
        raise ModelFileError(f"{source}: model input {runner.input_shape} is not one {frames}x{channels} front-end "
                             "window; the embedded fe.* settings do not match the model")  # fmt: skip
    return StreamModel(
        path=source, classes=classes, frontend=frontend,
        recognizer=RecognizerSettings.from_params(params, len(classes), source),
        volume_gain=volume_gain_of(params.get("volume_gain", 0), source), latency_ms=int(params.get("latency_ms", 0)),
        runner=runner, window_frames=frames, params=params, inference_ms=estimate_inference_ms(data),
    )  # fmt: skip


def never_detects(model: str | os.PathLike) -> str | None:
    """Why a model's embedded recognizer can never fire at its default hop (count above the window), or None."""
    loaded = load_stream_model(model)
    problem = loaded.recognizer.never_detects_at(loaded.hop_ms)
    return None if problem is None else f"{loaded.path}: {problem}, its default hop"


def volume_gain_of(value: Any, source: str) -> int:
    """The firmware's integer gain from the stored ``volume_gain`` (a float): its integer part, used when > 1."""
    try:
        gain = int(float(value))
    except (TypeError, ValueError):
        raise ModelFileError(f"{source}: volume_gain={value!r} is not a number") from None
    if gain < 0:
        raise ModelFileError(f"{source}: volume_gain={value!r} must be >= 0 (0 or 1: no gain)")
    return gain

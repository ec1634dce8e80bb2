"""The model as the firmware export sees it: bytes, embedded settings, ops and arena, all checked.

In: a spec name, a ``.tflite`` or a ``.harken.zip`` archive. Out: a :class:`FirmwareModel`, or a
one-line ``ModelFileError``/``SettingsError`` for a model the firmware cannot run as harken does: no
embedded settings (``SL_PARAMSv1``), a float model, outputs that are not int8, an input window that
does not match the front end, an op TFLM lacks. It writes nothing.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harken.errors import ModelFileError
from harken.export.firmware.carray import c_identifier
from harken.export.firmware.ops import ModelOp, model_ops
from harken.frontend import FrontendSettings

log = logging.getLogger(__name__)

#: extra tensor-arena bytes on top of TFLM's measurement: the measurement is exact for the 64-bit host
#: that made it (a 32-bit microcontroller needs a few hundred bytes less); the margin covers other
#: TFLM builds (alignment of the arena start, a kernel's scratch buffer growing between versions).
ARENA_MARGIN_FRACTION = 0.10
ARENA_MARGIN_MIN_BYTES = 1024


@dataclass(frozen=True)
class FirmwareModel:
    """Everything an export writes, read from one model."""

    name: str  # a C identifier
    source: str
    data: bytes
    params: dict[str, Any]
    frontend: FrontendSettings
    classes: tuple[str, ...]
    recognizer: dict[str, int]  # average_window_duration_ms, minimum_count, detection_threshold, suppression_ms
    threshold_list: list[int] | None
    volume_gain: int
    latency_ms: int
    hop_ms: int
    window_frames: int
    ops: list[ModelOp] = field(repr=False)
    arena_measured: int
    arena_margin: int

    @property
    def arena_size(self) -> int:
        """The arena the firmware declares: measured + margin, rounded up to 16 bytes."""
        return -(-(self.arena_measured + self.arena_margin) // 16) * 16


def resolve_model(model: str | os.PathLike) -> tuple[bytes, str, str]:
    """(tflite bytes, source for messages, default name) of a spec name, a .tflite or an archive."""
    text = str(model)
    path = Path(text).expanduser()
    if path.suffix == ".tflite" or text.endswith(".zip"):
        if not path.is_file():
            raise ModelFileError(f"{path}: no such model file; give a spec name, a .tflite or a .harken.zip archive")
        if path.suffix == ".tflite":
            return path.read_bytes(), str(path), path.stem
        from harken.export.archive import archive_names, read_archive_file

        names = [n for n in archive_names(path) if n.endswith(".tflite") and not n.endswith(".float32.tflite")]
        if not names:
            raise ModelFileError(f"{path}: the archive holds no int8 .tflite model")
        return read_archive_file(path, names[0]), f"{path}:{names[0]}", Path(names[0]).stem
    from harken.spec.loader import find_spec

    spec = find_spec(text)
    trained = spec.work_dir() / f"{spec.name}.tflite"
    if not trained.is_file():
        raise ModelFileError(f"{trained}: spec {spec.name!r} has no trained int8 model; run 'harken train {text}' first")
    return trained.read_bytes(), str(trained), spec.name


def load_firmware_model(model: str | os.PathLike, *, name: str | None = None) -> FirmwareModel:
    """Read and check a model for export (see the module docstring for what is refused).

    The recognizer settings, volume gain, latency, default hop and window come from
    :func:`harken.streaming.model.load_stream_model`, so the firmware runs what ``classify-audio`` runs.
    """
    from harken.export.tflite.params import read_params
    from harken.profile.arena import measure_arena_size
    from harken.streaming.model import load_stream_model
    from harken.streaming.recognizer import NEVER_DETECTS_REMEDY

    data, source, default_name = resolve_model(model)
    params = read_params(data)
    if not params:
        raise ModelFileError(f"{source}: the model has no embedded settings (SL_PARAMSv1); export needs its fe.* "
                             "and detection settings: quantize it with harken or add them with 'harken update-params'")
    stream = load_stream_model(model)
    _check_int8(stream.runner, source)
    stream.frontend.validate()
    rec = stream.recognizer
    never = rec.never_detects_at(stream.hop_ms)
    if never:  # the firmware would build, run and never fire
        log.warning("%s: %s (the firmware's default hop); the exported firmware will detect nothing: %s", source,
                    never, NEVER_DETECTS_REMEDY)  # fmt: skip
    ops = model_ops(data, source)
    measured = measure_arena_size(data)
    return FirmwareModel(
        name=c_identifier(name or str(params.get("name") or default_name)), source=source, data=data, params=params,
        frontend=stream.frontend, classes=stream.classes,
        recognizer={"average_window_duration_ms": rec.average_window_duration_ms, "minimum_count": rec.minimum_count,
                    "detection_threshold": rec.detection_threshold, "suppression_ms": rec.suppression_ms},
        threshold_list=None if rec.detection_threshold_list is None else list(rec.detection_threshold_list),
        volume_gain=stream.volume_gain, latency_ms=stream.latency_ms, hop_ms=stream.hop_ms,
        window_frames=stream.window_frames, ops=ops, arena_measured=measured,
        arena_margin=max(ARENA_MARGIN_MIN_BYTES, int(measured * ARENA_MARGIN_FRACTION)),
    )  # fmt: skip


def _check_int8(runner, source: str) -> None:
    kinds = (np.dtype(runner.input["dtype"]), np.dtype(runner.output["dtype"]))
    if kinds[0] == np.float32:
        raise ModelFileError(f"{source}: a float model (float32 input); export needs the int8 .tflite "
                             "(harken quantize writes it)")
    if kinds != (np.dtype(np.int8), np.dtype(np.int8)):
        raise ModelFileError(f"{source}: input {kinds[0]}, output {kinds[1]}; export needs an int8 input and "
                             "an int8 output (the firmware's scores are output + 128)")

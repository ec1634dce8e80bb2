"""Tensor-arena size a model needs under TensorFlow Lite Micro (the ``runtime_memory_size`` parameter).

In: .tflite bytes (int8 model). Out: the bytes the TFLM allocator used, as measured by the
``tflite-micro`` Python interpreter on this host.

The interpreter has no getter for the figure; its recording allocator prints
``Arena allocation total N bytes`` to the C-level stderr from ``print_allocations()``. This module
captures file descriptor 2 around that call (process-wide for that moment: do not call it from
several threads at once). The host is 64-bit, so pointer-holding structures (tensor and node
records in the arena tail) are larger than on a 32-bit microcontroller: the figure is an upper
bound for the device (a few hundred bytes above it for small models).

:func:`estimate_device_arena` derives the 32-bit figure from the same log: the allocator lists
its pointer-holding records by kind and count, and each kind's size is known on both word sizes
(TFLM built with ``TF_LITE_STATIC_MEMORY``, as for a microcontroller; ``tensorflow/lite/core/c/common.h``
and ``micro/micro_allocator.h``): ``TfLiteEvalTensor`` 24 -> 12 bytes, persistent ``TfLiteTensor``
64 -> 40, its ``TfLiteAffineQuantization`` 24 -> 12, ``NodeAndRegistration`` 64 -> 32. The
activation buffers (head) and the kernels' persistent buffers are kept as measured, so the
estimate errs high. For the tiny reference model it gives 32,920 bytes where the host measures
33,408 and the vendor's profiler reports 33,136.
"""

from __future__ import annotations

import os
import re
import struct
import sys
import tempfile
from dataclasses import dataclass

from harken.errors import ModelFileError

_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")
_HEAD = re.compile(r"Arena allocation head (\d+) bytes")
_TAIL = re.compile(r"Arena allocation tail (\d+) bytes")
_RECORD = re.compile(r"'([^']+)' used (\d+) bytes .*? for (\d+) ")
#: bytes saved per record on a 32-bit device: (64-bit size - 32-bit size)
_POINTER_SAVINGS = {"TfLiteEvalTensor data": 24 - 12, "Persistent TfLiteTensor data": 64 - 40,
                    "NodeAndRegistration struct": 64 - 32}
_AFFINE_SAVING = 24 - 12
_MIN_ARENA_BYTES = 64 * 1024
_MAX_ARENA_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ArenaUsage:
    """What the TFLM allocator used: ``total_bytes = head_bytes + tail_bytes``.

    ``head_bytes`` holds the activation tensors (reused between layers), ``tail_bytes`` the
    persistent records (tensor metadata, node structs, kernel scratch buffers).
    """

    total_bytes: int
    head_bytes: int
    tail_bytes: int
    log: str


def measure_arena(tflite_bytes: bytes, *, arena_size: int | None = None) -> ArenaUsage:
    """Load the model in the TFLM interpreter and report the arena it used.

    Parameters
    ----------
    tflite_bytes : bytes
        The .tflite model.
    arena_size : int, optional
        Arena to offer, in bytes. By default the larger of 10x the model size and 64 KiB,
        doubled until allocation succeeds (up to 512 MiB).

    Raises
    ------
    ModelFileError
        When TFLM cannot load the model (unsupported op, float model it cannot run...) or
        prints no allocation total.
    """
    from tflite_micro.python.tflite_micro import runtime  # heavy: import on use

    data = bytes(tflite_bytes)
    size = arena_size or max(10 * len(data), _MIN_ARENA_BYTES)
    while True:
        error, log = _load_and_print(runtime, data, size)
        if error is None:
            break
        if arena_size is not None or size >= _MAX_ARENA_BYTES or "allocate" not in str(error):
            raise ModelFileError(
                f"<tflite bytes>: TensorFlow Lite Micro cannot load the model with a "
                f"{size}-byte arena ({error}); {_last_line(log)}. Check that every op is "
                "supported by TFLM, or pass a larger arena_size"
            )
        size *= 2
    found = [_TOTAL.search(log), _HEAD.search(log), _TAIL.search(log)]
    if not all(found):
        raise ModelFileError(
            "<tflite bytes>: the TFLM interpreter printed no 'Arena allocation total' line; "
            "this tflite-micro build may not record allocations: install the pinned version"
        )
    total, head, tail = (int(m.group(1)) for m in found)
    return ArenaUsage(total_bytes=total, head_bytes=head, tail_bytes=tail, log=log)


def measure_arena_size(tflite_bytes: bytes, *, arena_size: int | None = None) -> int:
    """Bytes of tensor arena the model needs in TFLM (64-bit host measurement).

    Examples
    --------
    >>> measure_arena_size(open("tiny_with_params.tflite", "rb").read())  # doctest: +SKIP
    33408
    """
    return measure_arena(tflite_bytes, arena_size=arena_size).total_bytes


def _load_and_print(runtime, data: bytes, size: int) -> tuple[Exception | None, str]:
    """Build the interpreter and print its allocations with fd 2 redirected to a temp file."""
    sys.stderr.flush()
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        error = None
        try:
            interpreter = runtime.Interpreter.from_bytes(data, arena_size=size)
            interpreter.print_allocations()
        except (RuntimeError, ValueError) as exc:
            error = exc
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        return error, capture.read().decode("utf-8", errors="replace")


def _last_line(log: str) -> str:
    lines = [line for line in log.splitlines() if line.strip()]
    return f"TFLM said: {lines[-1]}" if lines else "TFLM printed nothing"


def estimate_device_arena(usage: ArenaUsage) -> int:
    """Bytes of arena on a 32-bit microcontroller: the host figure less the pointer-size growth of TFLM's records.

    On a 32-bit host the measurement is already the device figure and is returned unchanged.

    Examples
    --------
    >>> estimate_device_arena(measure_arena(open("tiny_with_params.tflite", "rb").read()))  # doctest: +SKIP
    32920
    """
    if struct.calcsize("P") == 4:
        return usage.total_bytes
    counts = {name: int(count) for name, _, count in _RECORD.findall(usage.log)}
    saved = sum(counts.get(name, 0) * size for name, size in _POINTER_SAVINGS.items())
    affine = min(counts.get("Persistent TfLiteTensor data", 0),
                 counts.get("Persistent TfLiteTensor quantization data", 0) // 2)
    return usage.total_bytes - saved - affine * _AFFINE_SAVING

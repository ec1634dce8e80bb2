"""The two host interpreters of a ``.tflite``: LiteRT (with a choice of kernels) and TensorFlow Lite Micro.

In: ``.tflite`` bytes. Out: an interpreter object of ``ai-edge-litert`` or of ``tflite-micro``, ready to
use. :class:`harken.runtime.runner.TfliteRunner` is the one way the rest of harken runs a model; these
two functions are its building blocks. TensorFlow is never imported.

Measured on the on_off_offline TENet (int8): LiteRT's ``reference`` kernels (the ones TFLM is built
from) gave TFLM's int8 outputs on 299 of 300 inputs, the last one step apart (FULLY_CONNECTED
requantization rounding); the optimized ``builtin`` kernels (no XNNPACK) differ by up to 5 int8 steps
on 9 of 40 inputs and LiteRT's default ``xnnpack`` by up to 21. Reference kernels cost ~2 ms per TENet
inference (builtin ~5x faster). TFLM itself runs one clip per call.
"""

from __future__ import annotations

from typing import Any

from harken.errors import ModelFileError, SettingsError

INTERPRETERS = ("tflm", "litert")
KERNELS = ("reference", "builtin", "xnnpack")
TFLM_ARENA_MARGIN_BYTES = 16 * 1024

__all__ = ["INTERPRETERS", "KERNELS", "litert_interpreter", "tflm_interpreter"]


def litert_interpreter(data: bytes, *, kernels: str = "reference") -> Any:
    """A LiteRT interpreter on one thread, tensors not yet allocated.

    Parameters
    ----------
    data : bytes
        The ``.tflite`` model.
    kernels : {"reference", "builtin", "xnnpack"}
        ``reference``: TFLM's kernels (its int8 outputs, almost always); ``builtin``: LiteRT's optimized
        kernels without delegates; ``xnnpack``: LiteRT's default.

    Raises
    ------
    SettingsError
        For an unknown ``kernels`` name.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolvers = {"reference": OpResolverType.BUILTIN_REF, "builtin": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                 "xnnpack": OpResolverType.AUTO}  # fmt: skip
    if kernels not in resolvers:
        raise SettingsError(f"kernels={kernels!r}: use one of {', '.join(KERNELS)}")
    return Interpreter(model_content=bytes(data), num_threads=1, experimental_op_resolver_type=resolvers[kernels])


def tflm_interpreter(data: bytes, *, source: str = "<tflite bytes>") -> Any:
    """The TensorFlow Lite Micro interpreter (``tflite-micro``) on the model, with its measured arena.

    The arena offered is the one TFLM measured (:func:`harken.profile.arena.measure_arena_size`) plus
    16 KiB of margin.

    Raises
    ------
    ModelFileError
        When TFLM cannot load the model (an op it lacks, a damaged file).
    """
    from tflite_micro.python.tflite_micro import runtime

    from harken.profile.arena import measure_arena_size

    try:
        arena = measure_arena_size(data) + TFLM_ARENA_MARGIN_BYTES
        return runtime.Interpreter.from_bytes(bytes(data), arena_size=arena)
    except (ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{source}: the TFLM interpreter cannot load the model ({exc})") from None

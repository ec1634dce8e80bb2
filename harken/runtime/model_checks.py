"""Checks a .tflite must pass before the native interpreters (LiteRT, TFLM) run it.

In: the model's bytes (and, after LiteRT has prepared it, the LiteRT interpreter). Out: the parsed
model, or one ``ModelFileError`` naming the file and the damaged part.

Why: the interpreters are C++ and trust parts of the file. A flipped byte can give a Softmax a
``beta`` of -2e34 (LiteRT aborts the whole process while preparing it) or give a tensor a stored
shape of [1, 9895939] where its operator makes [1, 3] (TFLM sizes buffers from the stored shape and
then reads and writes outside them). Both were found by mutating a valid model at random
(tests/reliability/test_fuzz.py). These checks do not prove a model sound; they catch what the
fuzzing found, before any native code sees it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from harken.errors import ModelFileError
from harken.export.tflite.metadata import damaged_model_errors, parse_model

#: No real operator option (Softmax beta, LeakyRelu alpha...) comes near this magnitude.
MAX_OPTION_MAGNITUDE = 1e6
#: Nor does any quantization scale.
MAX_SCALE = 1e9
#: Softmax beta of real models (converters write 1.0); LiteRT's int8 kernel aborts the process outside a range.
SOFTMAX_BETA = (1e-3, 1e3)

__all__ = ["check_model_values", "check_stored_shapes"]


def check_model_values(data: bytes, source: str) -> Any:
    """The parsed model (schema ``ModelT``) if its operator options and quantization scales are sane.

    Raises ModelFileError for a non-finite or absurdly large float option of an operator, a
    quantization scale that is negative, non-finite or absurdly large, or a tensor name that is not UTF-8.
    """
    model = parse_model(data, source=source)
    with damaged_model_errors(source, "the operator or tensor table of the .tflite model"):
        for g, graph in enumerate(model.subgraphs):
            for k, op in enumerate(graph.operators or []):
                if op.builtinOptionsType and op.builtinOptions is None:  # a type the schema does not know
                    raise ModelFileError(f"{source}: subgraph {g} operator {k} has options of unknown type "
                                         f"{op.builtinOptionsType}; the file is damaged: re-export the model")
                _check_options(op.builtinOptions, f"subgraph {g} operator {k}", source)
            for t, tensor in enumerate(graph.tensors or []):
                _check_scales(tensor.quantization, f"subgraph {g} tensor {t}", source)
                if isinstance(tensor.name, bytes):
                    tensor.name.decode("utf-8")  # the interpreters decode every name; a damaged one stops here
    return model


def _check_options(options: Any, where: str, source: str) -> None:
    if options is None:
        return
    beta = getattr(options, "beta", None) if type(options).__name__ == "SoftmaxOptionsT" else None
    if beta is not None and not SOFTMAX_BETA[0] <= beta <= SOFTMAX_BETA[1]:  # LiteRT aborts on a tiny or negative one
        raise ModelFileError(f"{source}: {where} is a Softmax with beta={beta:g}, outside [{SOFTMAX_BETA[0]:g}, "
                             f"{SOFTMAX_BETA[1]:g}]; the file is damaged: re-export the model")  # fmt: skip
    for name, value in vars(options).items():
        if isinstance(value, float) and (not math.isfinite(value) or abs(value) > MAX_OPTION_MAGNITUDE):
            raise ModelFileError(f"{source}: {where} has option {name}={value:g}, out of any usable range; "
                                 "the file is damaged: re-export the model")  # fmt: skip


def _check_scales(quantization: Any, where: str, source: str) -> None:
    if quantization is None or quantization.scale is None:
        return
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.asarray(quantization.scale, dtype=np.float64)
    if scale.size and (not np.all(np.isfinite(scale)) or np.any(scale < 0) or np.any(scale > MAX_SCALE)):
        raise ModelFileError(f"{source}: {where} has quantization scale {scale.tolist()[:4]}, out of any usable "
                             "range; the file is damaged: re-export the model")  # fmt: skip


def check_stored_shapes(model: Any, interpreter: Any, source: str) -> None:
    """Raise ModelFileError when a tensor's shape stored in the file differs from the one LiteRT computed.

    ``model`` is the parsed model (:func:`check_model_values`), ``interpreter`` a LiteRT interpreter
    after ``allocate_tensors()``. TFLM sizes its buffers from the stored shapes without checking them
    against the operators.
    """
    tensors = model.subgraphs[0].tensors or []
    with damaged_model_errors(source, "the tensor table of the .tflite model"):  # LiteRT decodes names as UTF-8
        details = interpreter.get_tensor_details()
    for detail in details:
        index = int(detail["index"])
        if index >= len(tensors):
            continue
        stored = [int(d) for d in (tensors[index].shape if tensors[index].shape is not None else ())]
        computed = [int(d) for d in detail["shape"]]
        if stored != computed:
            raise ModelFileError(
                f"{source}: tensor {index} ({detail['name']}) is stored with shape {stored} but its operators give "
                f"{computed}; the file is damaged: re-export the model"
            )

"""The operators of a .tflite and what each costs: multiply-accumulates (MACs) and operations (OPs).

In: a .tflite (bytes or path). Out: one :class:`Operator` per operator of the main graph, in
execution order (name, input and output tensors, builtin options, fused activation, MACs, OPs).

Counting rules (batch 1), those of the reference toolkit's profiler; ``n`` is the number of output
elements:

- ``conv_2d``: MACs = kh x kw x cin x oh x ow x cout; ``depthwise_conv_2d``: kh x kw x oh x ow x cout;
  OPs = 2 x MACs, plus n when the op has a bias tensor, plus 2n for a fused ReLU, ReLU6 or
  ReLU_N1_TO_1 (a clamp: min and max);
- ``fully_connected``: MACs = n x input features, OPs = 2 x MACs + n (whether or not the converter
  kept a bias tensor: harken's figure since its first summaries, 574,488 OPs for the seeds' small
  CNN) plus 2n for a fused clamp;
- ``average_pool_2d``: n x (kh x kw + 1) (the sum, then the division); ``max_pool_2d``: n x kh x kw;
  plus 2n for a fused clamp;
- ``softmax`` 5n; ``add`` n, fused ReLU or not (the seeds' v3 TENet profile: its residual ``add`` with
  ReLU over 49x50 values counts 2.5k);
  ``quantize`` 4n and ``dequantize`` 2n (n of the input);
- reshapes (``reshape``, ``squeeze``, ``expand_dims``) 0; any other op n plus 2n for a fused clamp.

The tiny reference model ``tests/data/params/tiny_with_params.tflite`` gives the reference
profiler's 1,714,464 MACs and its OPs layer by layer, except its bias-less ``fully_connected``, which
the reference counts without the + n (3,542,127 OPs in all; 3,542,130 here). Reading needs no TensorFlow (the
schema of ``ai-edge-litert``). Keras models are counted by :mod:`harken.models.macs` (MACs only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


__all__ = ["Operator", "TensorInfo", "count_operator", "model_io", "read_operators"]

_RESHAPES = {"reshape", "squeeze", "expand_dims"}
_CLAMPS = {"relu", "relu6", "relu_n1_to_1"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TensorInfo:
    """A tensor as the tables show it: shape without the batch axis (1-D shapes kept) and dtype."""

    shape: tuple[int, ...]
    dtype: str

    def __str__(self) -> str:
        dims = self.shape[1:] if len(self.shape) > 1 else self.shape
        return f"{'x'.join(str(d) for d in dims) or '1'} ({self.dtype})"

    @property
    def elements(self) -> int:
        """Number of values (1 for a scalar)."""
        return int(np.prod(self.shape)) if self.shape else 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Operator:
    """One operator: ``op`` is the lower-case builtin name (``conv_2d``), ``options`` the schema's options object."""

    index: int
    op: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    activation: str | None
    macs: int
    ops: int
    options: Any = field(default=None, repr=False, compare=False)


def read_operators(tflite: bytes | str | os.PathLike, *, source: str | None = None) -> list[Operator]:
    """The operators of the model's first subgraph with their MACs and OPs (absent optional inputs left out).

    Raises
    ------
    ModelFileError
        When the file cannot be read or is not a .tflite.

    Examples
    --------
    >>> sum(op.macs for op in read_operators("tests/data/params/tiny_base.tflite"))  # doctest: +SKIP
    1714464
    """
    from ai_edge_litert import schema_py_generated as schema

    from harken.export.tflite.metadata import parse_model

    model = parse_model(tflite if isinstance(tflite, (bytes, bytearray)) else Path(tflite), source=source)
    names = _enum_names(schema.BuiltinOperator)
    types = _enum_names(schema.TensorType)
    activations = _enum_names(schema.ActivationFunctionType)
    graph = model.subgraphs[0]

    def info(i: int) -> TensorInfo:
        t = graph.tensors[i]
        return TensorInfo(shape=tuple(int(d) for d in (t.shape if t.shape is not None else ())),
                          dtype=types.get(t.type, "?"))  # fmt: skip

    operators = []
    for index, op in enumerate(graph.operators or []):
        code = model.operatorCodes[op.opcodeIndex]
        name = names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "custom")
        if name == "custom" and code.customCode:
            name = code.customCode.decode() if isinstance(code.customCode, bytes) else str(code.customCode)
        inputs = tuple(info(i) for i in (op.inputs if op.inputs is not None else ()) if i >= 0)
        outputs = tuple(info(i) for i in (op.outputs if op.outputs is not None else ()) if i >= 0)
        options = op.builtinOptions
        fused = getattr(options, "fusedActivationFunction", None)
        activation = None if fused is None else activations.get(fused, str(fused))
        macs, ops = count_operator(name, inputs, outputs, options=options, activation=activation)
        operators.append(Operator(index=index, op=name, inputs=inputs, outputs=outputs, activation=activation,
                                  macs=macs, ops=ops, options=options))  # fmt: skip
    return operators


def model_io(tflite: bytes) -> tuple[tuple[TensorInfo, ...], tuple[TensorInfo, ...]]:
    """(inputs, outputs) of the model's first subgraph, for a .tflite :func:`read_operators` has already read."""
    from ai_edge_litert import schema_py_generated as schema

    graph = schema.Model.GetRootAs(tflite, 0).Subgraphs(0)
    types = _enum_names(schema.TensorType)

    def info(i: int) -> TensorInfo:
        t = graph.Tensors(i)
        return TensorInfo(shape=tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else (),
                          dtype=types.get(t.Type(), "?"))  # fmt: skip

    return (tuple(info(int(i)) for i in graph.InputsAsNumpy()), tuple(info(int(i)) for i in graph.OutputsAsNumpy()))


def count_operator(name: str, inputs: tuple[TensorInfo, ...], outputs: tuple[TensorInfo, ...], *,
                   options: Any = None, activation: str | None = None) -> tuple[int, int]:  # fmt: skip
    """(MACs, OPs) of one operator by the rules of the module docstring.

    Examples
    --------
    >>> conv = (TensorInfo(shape=(1, 4, 4, 2), dtype="int8"), TensorInfo(shape=(8, 3, 3, 2), dtype="int8"),
    ...         TensorInfo(shape=(8,), dtype="int32"))
    >>> count_operator("conv_2d", conv, (TensorInfo(shape=(1, 4, 4, 8), dtype="int8"),), activation="relu")
    (2304, 4992)
    """
    n = outputs[0].elements if outputs else 0
    clamp = 2 * n if activation in _CLAMPS else 0
    bias = n if len(inputs) > 2 else 0
    if name == "conv_2d":
        _, kh, kw, cin = inputs[1].shape
        macs = kh * kw * cin * n
        return macs, 2 * macs + bias + clamp
    if name == "depthwise_conv_2d":
        _, kh, kw, _ = inputs[1].shape
        macs = kh * kw * n
        return macs, 2 * macs + bias + clamp
    if name == "fully_connected":
        macs = n * inputs[1].shape[-1]
        return macs, 2 * macs + n + clamp
    if name == "average_pool_2d":
        return 0, n * (options.filterWidth * options.filterHeight + 1) + clamp
    if name == "max_pool_2d":
        return 0, n * options.filterWidth * options.filterHeight + clamp
    if name == "softmax":
        return 0, 5 * n
    if name == "add":
        return 0, n
    if name == "quantize":
        return 0, 4 * inputs[0].elements
    if name == "dequantize":
        return 0, 2 * inputs[0].elements
    if name in _RESHAPES:
        return 0, 0
    return 0, n + clamp


def _enum_names(enum: type) -> dict[int, str]:
    return {v: k.lower() for k, v in vars(enum).items() if not k.startswith("_")}

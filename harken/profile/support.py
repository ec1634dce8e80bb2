"""What TensorFlow Lite Micro can run: the builtin operators its op resolver registers, and int8 models only.

In: the operators of a .tflite (:func:`harken.profile.counting.read_operators`). Out: the ones TFLM
cannot run, and a one-line error for a float model (the profile's cycle model is for int8 CMSIS-NN
kernels). :data:`TFLM_BUILTIN_OPS` is the list of builtin operators that
``tensorflow/lite/micro/micro_mutable_op_resolver.h`` can register at the TFLM commit of
``third_party/tflm`` (90b983c2); custom operators count as unsupported. The profile also loads the
model in the real interpreter (to measure its arena), which settles the question when the list is
out of date.
"""

from __future__ import annotations

from collections.abc import Sequence

from harken.errors import ModelFileError
from harken.profile.counting import Operator

__all__ = ["TFLM_BUILTIN_OPS", "check_int8", "unsupported_operators"]

TFLM_BUILTIN_OPS: frozenset[str] = frozenset("""
abs add add_n arg_max arg_min assign_variable average_pool_2d batch_matmul batch_to_space_nd broadcast_args
broadcast_to call_once cast ceil concatenation conv_2d cos cumsum depthwise_conv_2d depth_to_space dequantize div
dynamic_update_slice elu embedding_lookup equal exp expand_dims fill floor floor_div floor_mod fully_connected
gather gather_nd greater greater_equal hard_swish if l2_normalization l2_pool_2d leaky_relu less less_equal log
logical_and logical_not logical_or logistic log_softmax maximum max_pool_2d mean minimum mirror_pad mul neg
not_equal pack pad padv2 prelu quantize read_variable reduce_all reduce_max reduce_min relu relu6 reshape
resize_bilinear resize_nearest_neighbor reverse_v2 round rsqrt select_v2 shape sin slice softmax space_to_batch_nd
space_to_depth split split_v sqrt square squared_difference squeeze strided_slice sub sum svdf tanh transpose
transpose_conv unidirectional_sequence_lstm unpack var_handle while zeros_like
""".split())

_CONVERSIONS = {"quantize", "dequantize"}
_FLOATS = {"float32", "float16", "float64"}


def unsupported_operators(operators: Sequence[Operator]) -> list[Operator]:
    """The operators TFLM has no kernel for (custom operators included).

    Examples
    --------
    >>> unsupported_operators([])
    []
    """
    return [op for op in operators if op.op not in TFLM_BUILTIN_OPS]


def check_int8(operators: Sequence[Operator], source: str) -> None:
    """Raise unless the model computes in int8 (float tensors only around quantize/dequantize at its edges).

    Raises
    ------
    ModelFileError
        For a float model: the message names the first float operator and how to get an int8 model.
    """
    for op in operators:
        if op.op in _CONVERSIONS:
            continue
        tensors = [*op.inputs, *op.outputs]
        if any(t.dtype in _FLOATS for t in tensors):
            dtype = next(t.dtype for t in tensors if t.dtype in _FLOATS)
            raise ModelFileError(
                f"{source}: a {dtype} model (operator {op.index} {op.op} computes in {dtype}); the profile "
                "estimates int8 models: profile the int8 .tflite (harken quantize NAME writes it)")

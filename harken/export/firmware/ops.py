"""The TFLM operators a model uses: the op resolver's ``Add*`` calls and the kernel sources to build.

In: a .tflite (bytes). Out: its builtin operators in first-use order, each with the
``tflite::MicroMutableOpResolver`` method that registers it and the ``tensorflow/lite/micro/kernels``
sources (base names) that implement it. The table was read from tflite-micro at the pinned commit
(``micro_mutable_op_resolver.h`` and the files that define each ``Register_*``); a kernel ``X`` also
needs ``X_common`` where that file exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from harken.errors import ModelFileError

#: builtin operator (lower-case schema name) -> (resolver method, kernel sources)
TFLM_OPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "abs": ("AddAbs", ("elementwise")),
    "add": ("AddAdd", ("add", "add_common")),
    "add_n": ("AddAddN", ("add_n")),
    "arg_max": ("AddArgMax", ("arg_min_max")),
    "arg_min": ("AddArgMin", ("arg_min_max")),
    "assign_variable": ("AddAssignVariable", ("assign_variable")),
    "average_pool_2d": ("AddAveragePool2D", ("pooling", "pooling_common")),
    "batch_matmul": ("AddBatchMatMul", ("batch_matmul", "batch_matmul_common")),
    "batch_to_space_nd": ("AddBatchToSpaceNd", ("batch_to_space_nd")),
    "broadcast_args": ("AddBroadcastArgs", ("broadcast_args")),
    "broadcast_to": ("AddBroadcastTo", ("broadcast_to")),
    "call_once": ("AddCallOnce", ("call_once")),
    "cast": ("AddCast", ("cast")),
    "ceil": ("AddCeil", ("ceil")),
    "concatenation": ("AddConcatenation", ("concatenation")),
    "conv_2d": ("AddConv2D", ("conv", "conv_common")),
    "cos": ("AddCos", ("elementwise")),
    "cumsum": ("AddCumSum", ("cumsum")),
    "depth_to_space": ("AddDepthToSpace", ("depth_to_space")),
    "depthwise_conv_2d": ("AddDepthwiseConv2D", ("depthwise_conv", "depthwise_conv_common")),
    "dequantize": ("AddDequantize", ("dequantize", "dequantize_common")),
    "div": ("AddDiv", ("div")),
    "dynamic_update_slice": ("AddDynamicUpdateSlice", ("dynamic_update_slice")),
    "embedding_lookup": ("AddEmbeddingLookup", ("embedding_lookup")),
    "elu": ("AddElu", ("elu")),
    "equal": ("AddEqual", ("comparisons")),
    "exp": ("AddExp", ("exp")),
    "expand_dims": ("AddExpandDims", ("expand_dims")),
    "fill": ("AddFill", ("fill")),
    "floor": ("AddFloor", ("floor")),
    "floor_div": ("AddFloorDiv", ("floor_div")),
    "floor_mod": ("AddFloorMod", ("floor_mod")),
    "fully_connected": ("AddFullyConnected", ("fully_connected", "fully_connected_common")),
    "gather": ("AddGather", ("gather")),
    "gather_nd": ("AddGatherNd", ("gather_nd")),
    "greater": ("AddGreater", ("comparisons")),
    "greater_equal": ("AddGreaterEqual", ("comparisons")),
    "hard_swish": ("AddHardSwish", ("hard_swish", "hard_swish_common")),
    "if": ("AddIf", ("if")),
    "l2_normalization": ("AddL2Normalization", ("l2norm")),
    "l2_pool_2d": ("AddL2Pool2D", ("l2_pool_2d")),
    "leaky_relu": ("AddLeakyRelu", ("leaky_relu", "leaky_relu_common")),
    "less": ("AddLess", ("comparisons")),
    "less_equal": ("AddLessEqual", ("comparisons")),
    "log": ("AddLog", ("elementwise")),
    "logical_and": ("AddLogicalAnd", ("logical", "logical_common")),
    "logical_not": ("AddLogicalNot", ("elementwise")),
    "logical_or": ("AddLogicalOr", ("logical", "logical_common")),
    "logistic": ("AddLogistic", ("logistic", "logistic_common")),
    "log_softmax": ("AddLogSoftmax", ("log_softmax")),
    "maximum": ("AddMaximum", ("maximum_minimum")),
    "max_pool_2d": ("AddMaxPool2D", ("pooling", "pooling_common")),
    "mirror_pad": ("AddMirrorPad", ("mirror_pad")),
    "mean": ("AddMean", ("reduce", "reduce_common")),
    "minimum": ("AddMinimum", ("maximum_minimum")),
    "mul": ("AddMul", ("mul", "mul_common")),
    "neg": ("AddNeg", ("neg")),
    "not_equal": ("AddNotEqual", ("comparisons")),
    "pack": ("AddPack", ("pack")),
    "pad": ("AddPad", ("pad", "pad_common")),
    "padv2": ("AddPadV2", ("pad", "pad_common")),
    "prelu": ("AddPrelu", ("prelu", "prelu_common")),
    "quantize": ("AddQuantize", ("quantize", "quantize_common")),
    "read_variable": ("AddReadVariable", ("read_variable")),
    "reduce_all": ("AddReduceAll", ("reduce", "reduce_common")),
    "reduce_max": ("AddReduceMax", ("reduce", "reduce_common")),
    "reduce_min": ("AddReduceMin", ("reduce", "reduce_common")),
    "relu": ("AddRelu", ("activations", "activations_common")),
    "relu6": ("AddRelu6", ("activations", "activations_common")),
    "reshape": ("AddReshape", ("reshape", "reshape_common")),
    "resize_bilinear": ("AddResizeBilinear", ("resize_bilinear")),
    "resize_nearest_neighbor": ("AddResizeNearestNeighbor", ("resize_nearest_neighbor")),
    "reverse_v2": ("AddReverseV2", ("reverse")),
    "round": ("AddRound", ("round")),
    "rsqrt": ("AddRsqrt", ("elementwise")),
    "select_v2": ("AddSelectV2", ("select")),
    "shape": ("AddShape", ("shape")),
    "sin": ("AddSin", ("elementwise")),
    "slice": ("AddSlice", ("slice")),
    "softmax": ("AddSoftmax", ("softmax", "softmax_common")),
    "space_to_batch_nd": ("AddSpaceToBatchNd", ("space_to_batch_nd")),
    "space_to_depth": ("AddSpaceToDepth", ("space_to_depth")),
    "split": ("AddSplit", ("split")),
    "split_v": ("AddSplitV", ("split_v")),
    "squeeze": ("AddSqueeze", ("squeeze")),
    "sqrt": ("AddSqrt", ("elementwise")),
    "square": ("AddSquare", ("elementwise")),
    "squared_difference": ("AddSquaredDifference", ("squared_difference")),
    "strided_slice": ("AddStridedSlice", ("strided_slice", "strided_slice_common")),
    "sub": ("AddSub", ("sub", "sub_common")),
    "sum": ("AddSum", ("reduce", "reduce_common")),
    "svdf": ("AddSvdf", ("svdf", "svdf_common")),
    "tanh": ("AddTanh", ("tanh")),
    "transpose_conv": ("AddTransposeConv", ("transpose_conv")),
    "transpose": ("AddTranspose", ("transpose", "transpose_common")),
    "unpack": ("AddUnpack", ("unpack")),
    "unidirectional_sequence_lstm": ("AddUnidirectionalSequenceLSTM", ("unidirectional_sequence_lstm", "lstm_eval", "lstm_eval_common")),
    "var_handle": ("AddVarHandle", ("var_handle")),
    "while": ("AddWhile", ("while")),
    "zeros_like": ("AddZerosLike", ("zeros_like")),
}


@dataclass(frozen=True, slots=True)
class ModelOp:
    """One builtin operator of a model: its schema name, resolver method and kernel sources."""

    name: str
    method: str
    kernels: tuple[str, ...]


def model_ops(tflite: bytes, source: str = "<tflite bytes>") -> list[ModelOp]:
    """The distinct operators of the model's first subgraph, in the order they first appear.

    Raises
    ------
    ModelFileError
        For a custom operator or one TFLM does not have.
    """
    from harken.profile.counting import read_operators

    names: list[str] = []
    for op in read_operators(tflite):
        if op.op not in names:
            names.append(op.op)
    unknown = [n for n in names if n not in TFLM_OPS]
    if unknown:
        raise ModelFileError(f"{source}: operator(s) {', '.join(unknown)} are not TFLM builtins that harken "
                             "can register; the firmware cannot run this model")
    return [ModelOp(n, *TFLM_OPS[n]) for n in names]


def kernel_sources(ops: list[ModelOp]) -> list[str]:
    """The kernel source base names the ops need, each once, in a stable order."""
    out: list[str] = []
    for op in ops:
        out += [k for k in op.kernels if k not in out]
    return out

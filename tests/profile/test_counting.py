"""Operator counting of a .tflite: the reference profiler's MACs and OPs, layer by layer, and each rule."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from harken.profile.counting import TensorInfo, count_operator, read_operators

DATA = Path(__file__).parents[1] / "data" / "params"


def t(*shape: int) -> TensorInfo:
    return TensorInfo(shape=shape, dtype="int8")


def test_tiny_model_counts_equal_the_reference_profiler_layer_by_layer():
    reference = json.loads((DATA / "tiny_profile_reference.json").read_text())["results"]["none"]
    operators = read_operators(DATA / "tiny_with_params.tflite")
    # the one difference: harken adds one op per output to a fully_connected without bias tensor (3 here)
    extra = {"fully_connected": 3}
    assert [(op.op, op.macs, op.ops) for op in operators] == [
        (layer["opcode"], layer["macs"], layer["ops"] + extra.get(layer["opcode"], 0)) for layer in reference["layers"]]
    assert sum(op.macs for op in operators) == reference["macs"] == 1_714_464
    assert sum(op.ops for op in operators) == reference["ops"] + 3 == 3_542_130


def test_operators_carry_tensors_and_fused_activation():
    first = read_operators((DATA / "tiny_base.tflite").read_bytes())[0]
    assert (first.index, first.op, first.activation) == (0, "conv_2d", "relu")
    assert [str(x) for x in first.inputs] == ["98x104x1 (int8)", "3x3x1 (int8)", "8 (int32)"]


def test_conv_counts_kernel_macs_bias_and_clamp():
    inputs = (t(1, 8, 8, 4), t(16, 3, 3, 4), TensorInfo(shape=(16,), dtype="int32"))
    out = (t(1, 8, 8, 16),)
    macs = 3 * 3 * 4 * 8 * 8 * 16
    assert count_operator("conv_2d", inputs, out, activation="relu6") == (macs, 2 * macs + 1024 + 2 * 1024)
    assert count_operator("conv_2d", inputs[:2], out, activation="none") == (macs, 2 * macs)


def test_depthwise_conv_counts_one_input_channel_per_output():
    inputs = (t(1, 8, 8, 4), t(1, 3, 3, 8), TensorInfo(shape=(8,), dtype="int32"))
    macs = 3 * 3 * 8 * 8 * 8
    assert count_operator("depthwise_conv_2d", inputs, (t(1, 8, 8, 8),), activation="relu") == (macs, 2 * macs + 3 * 512)


def test_fully_connected_adds_one_op_per_output_with_or_without_bias_and_two_for_a_clamp():
    with_bias = (t(1, 100), t(10, 100), TensorInfo(shape=(10,), dtype="int32"))
    assert count_operator("fully_connected", with_bias, (t(1, 10),), activation="none") == (1000, 2010)
    assert count_operator("fully_connected", with_bias[:2], (t(1, 10),), activation="none") == (1000, 2010)
    assert count_operator("fully_connected", with_bias, (t(1, 10),), activation="relu") == (1000, 2030)


@pytest.mark.parametrize(("name", "ops"), [("average_pool_2d", 64 * (6 + 1)), ("max_pool_2d", 64 * 6)])
def test_pools_count_the_window_and_a_division_for_the_average(name, ops):
    window = SimpleNamespace(filterWidth=3, filterHeight=2)
    assert count_operator(name, (t(1, 8, 24, 4),), (t(1, 4, 4, 4),), options=window, activation="none") == (0, ops)


@pytest.mark.parametrize(("name", "ops"), [("softmax", 5 * 12), ("add", 12), ("quantize", 4 * 12),
                                           ("dequantize", 2 * 12), ("reshape", 0), ("mul", 12)])
def test_element_wise_rules(name, ops):
    assert count_operator(name, (t(1, 12), t(1, 12)), (t(1, 12),)) == (0, ops)


def test_add_counts_one_op_per_output_even_with_a_fused_relu():
    # the seeds' v3 TENet profile: "add | 2.5k | ... | 1x49x1x50 | Activation:Relu" (49 x 50 = 2,450)
    assert count_operator("add", (t(1, 49, 1, 50), t(1, 49, 1, 50)), (t(1, 49, 1, 50),), activation="relu") == (0, 2450)

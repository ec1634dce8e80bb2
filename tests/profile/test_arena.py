"""runtime_memory_size: the TFLM arena measured with the tflite-micro interpreter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harken.errors import ModelFileError
from harken.profile.arena import estimate_device_arena, measure_arena, measure_arena_size

DATA = Path(__file__).parents[1] / "data" / "params"


def test_arena_of_reference_model_lies_between_reference_figures():
    reference = json.loads((DATA / "tiny_profile_reference.json").read_text())["results"]["none"]
    measured = measure_arena_size((DATA / "tiny_with_params.tflite").read_bytes())
    # 32-bit device estimate (33,136) <= 64-bit host measurement <= host arena search (33,792)
    assert reference["runtime_memory_bytes"] <= measured <= reference["arena_search_bytes"]


def test_arena_total_is_head_plus_tail():
    usage = measure_arena((DATA / "tiny_base.tflite").read_bytes())
    assert usage.total_bytes == usage.head_bytes + usage.tail_bytes > 0


def test_measured_arena_is_enough_to_load_the_model():
    model = (DATA / "tiny_base.tflite").read_bytes()
    size = measure_arena_size(model)
    assert measure_arena_size(model, arena_size=size) == size


def test_too_small_arena_is_reported_with_fix():
    with pytest.raises(ModelFileError, match="larger arena_size"):
        measure_arena_size((DATA / "tiny_base.tflite").read_bytes(), arena_size=1000)


def _loads(model: bytes, arena_size: int) -> bool:
    from tflite_micro.python.tflite_micro import runtime

    try:
        runtime.Interpreter.from_bytes(model, arena_size=arena_size)
    except (RuntimeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("name", ["tiny_base", "tiny_with_params"])
def test_measured_arena_equals_the_smallest_arena_the_interpreter_accepts(name):
    model = (DATA / f"{name}.tflite").read_bytes()
    low, high = 1, 4 * len(model) + 256 * 1024  # bisection over the arena size offered to tflite-micro
    assert _loads(model, high)
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if _loads(model, middle) else (middle + 1, high)
    assert measure_arena_size(model) == low


def test_device_estimate_removes_the_pointer_growth_of_each_recorded_struct():
    usage = measure_arena((DATA / "tiny_with_params.tflite").read_bytes())
    # 16 eval tensors x 12 + 2 persistent tensors x 24 + their 2 affine quantizations x 12 + 7 nodes x 32
    assert estimate_device_arena(usage) == usage.total_bytes - (16 * 12 + 2 * 24 + 2 * 12 + 7 * 32) == 32_920


def test_device_estimate_is_within_one_percent_of_the_vendor_figure():
    reference = json.loads((DATA / "tiny_profile_reference.json").read_text())["results"]["none"]
    estimate = estimate_device_arena(measure_arena((DATA / "tiny_with_params.tflite").read_bytes()))
    assert estimate == pytest.approx(reference["runtime_memory_bytes"], rel=0.01)  # the vendor's 32-bit 33,136

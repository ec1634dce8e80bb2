"""runtime_memory_size: the TFLM arena measured with the tflite-micro interpreter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harken.errors import ModelFileError
from harken.profile.arena import measure_arena, measure_arena_size

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

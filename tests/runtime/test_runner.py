"""The one .tflite runner: the same int8 outputs in LiteRT's reference kernels and in TFLM, value conversions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harken.errors import ModelFileError, SettingsError
from harken.runtime.runner import TfliteRunner, dequantize_output, quantize_input, run_tflite

TINY = Path(__file__).parents[1] / "data" / "params" / "tiny_base.tflite"  # int8 CNN, 98x104x1 -> 3


@pytest.fixture(scope="module")
def tiny() -> bytes:
    return TINY.read_bytes()


def random_inputs(n: int) -> np.ndarray:
    return np.random.default_rng(0).integers(-128, 128, size=(n, 98, 104, 1)).astype(np.int8)


def test_litert_reference_kernels_and_tflm_give_identical_int8_outputs(tiny):
    x = random_inputs(8)
    tflm = TfliteRunner(tiny, interpreter="tflm").run(x)
    litert = TfliteRunner(tiny, interpreter="litert").run(x)
    assert tflm.dtype == litert.dtype == np.int8 and tflm.shape == (8, 3)
    assert np.array_equal(tflm, litert)


def test_litert_batches_give_the_single_outputs(tiny):
    x = random_inputs(5)
    batched = TfliteRunner(tiny, interpreter="litert", max_batch_size=2).run(x)
    single = TfliteRunner(tiny, interpreter="litert", max_batch_size=1).run(x)
    assert np.array_equal(batched, single)


def test_run_tflite_quantizes_values_with_the_input_scale(tiny):
    runner = TfliteRunner(tiny, interpreter="litert")
    scale, zero_point = runner.input["quantization"]
    values = random_inputs(3).astype(np.float32) * scale  # exactly representable
    assert np.array_equal(runner.quantize(values), random_inputs(3))
    assert np.array_equal(run_tflite(tiny, values, interpreter="litert"), runner.run(random_inputs(3)))


def test_quantize_input_rounds_offsets_and_clips():
    detail = {"dtype": np.int8, "quantization": (0.5, -10)}
    assert quantize_input(np.array([0.0, 1.2, -100.0, 100.0]), detail).tolist() == [-10, -8, -128, 127]


def test_quantize_input_treats_scale_zero_as_unquantized_and_keeps_floats():
    assert quantize_input(np.array([3.0, -4.0]), {"dtype": np.int8, "quantization": (0.0, 0)}).tolist() == [3, -4]
    x = np.array([0.25], np.float64)
    assert quantize_input(x, {"dtype": np.float32, "quantization": (0.0, 0)}).dtype == np.float32


def test_dequantize_output_applies_scale_and_zero_point():
    detail = {"dtype": np.int8, "quantization": (1 / 256, -128)}
    assert dequantize_output(np.array([[127, -128, 0]], np.int8), detail).tolist() == [[0.99609375, 0.0, 0.5]]


def test_runner_rejects_unknown_names_and_batch_sizes(tiny):
    with pytest.raises(SettingsError, match="interpreter='edge'"):
        TfliteRunner(tiny, interpreter="edge")
    with pytest.raises(SettingsError, match="kernels='fast'"):
        TfliteRunner(tiny, interpreter="litert", kernels="fast")
    with pytest.raises(SettingsError, match="max_batch_size=0"):
        TfliteRunner(tiny, max_batch_size=0)


def test_runner_names_the_file_it_cannot_load():
    with pytest.raises(ModelFileError, match="broken.tflite"):
        TfliteRunner(b"not a model at all", source="broken.tflite")

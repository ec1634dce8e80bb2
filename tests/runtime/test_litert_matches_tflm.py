"""The microcontroller interpreter (TFLM) and LiteRT's reference kernels on an int8 TENet.

The optimized LiteRT kernels (and XNNPACK) round some int8 steps differently from TFLM on the
multi-block TENet; even the reference kernels were measured one step apart on 1 of 300 inputs of a
trained TENet (FULLY_CONNECTED requantization). harken therefore scores ``.tflite`` models in TFLM
itself by default and uses LiteRT's reference kernels only where it says so.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tenet_int8() -> tuple[bytes, np.ndarray]:
    import keras

    from harken.export.quantize import convert_int8
    from harken.models import build_model

    keras.utils.set_random_seed(0)
    model = build_model("tenet", input_shape=(49, 32, 1), num_classes=3, channels=16, num_stages=3,
                        blocks_per_stage=2, kernel_sizes=(9,))
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, size=(48, 49, 32, 1)).astype(np.float32)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, rng.integers(0, 3, 48), epochs=1, verbose=0)  # non-trivial batch-norm statistics
    return convert_int8(model, x[:32]), x[32:]


def test_litert_reference_kernels_equal_tflm(tenet_int8):
    from harken.runtime.runner import run_tflite

    model, x = tenet_int8
    assert np.array_equal(run_tflite(model, x, interpreter="litert"), run_tflite(model, x, interpreter="tflm"))


def test_runner_gives_tflm_outputs_batched_or_one_at_a_time(tenet_int8):
    from harken.runtime.runner import TfliteRunner, run_tflite

    model, x = tenet_int8
    expected = run_tflite(model, x, interpreter="tflm")
    for interpreter, max_batch_size in (("tflm", 256), ("litert", 256), ("litert", 1)):
        runner = TfliteRunner(model, interpreter=interpreter, max_batch_size=max_batch_size)
        assert np.array_equal(runner.run(runner.quantize(x)), expected), (interpreter, max_batch_size)


def test_runner_runs_in_tflm_unless_asked_otherwise(tenet_int8):
    from harken.errors import SettingsError
    from harken.runtime.runner import TfliteRunner

    model, _ = tenet_int8
    assert TfliteRunner(model).interpreter == "tflm"
    with pytest.raises(SettingsError, match="interpreter='xnnpack'"):
        TfliteRunner(model, interpreter="xnnpack")

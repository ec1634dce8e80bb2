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

    from harken.models import build_model
    from harken.export.quantize import convert_int8

    keras.utils.set_random_seed(0)
    model = build_model("tenet", input_shape=(49, 32, 1), num_classes=3, channels=16, num_stages=3,
                        blocks_per_stage=2, kernel_sizes=(9,))
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, size=(48, 49, 32, 1)).astype(np.float32)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, rng.integers(0, 3, 48), epochs=1, verbose=0)  # non-trivial batch-norm statistics
    return convert_int8(model, x[:32]), x[32:]


def test_litert_reference_kernels_equal_tflm(tenet_int8):
    from harken.export.quantize import run_litert, run_tflm

    model, x = tenet_int8
    assert np.array_equal(run_litert(model, x), run_tflm(model, x))


def test_inference_module_equals_tflm(tenet_int8, tmp_path):
    from harken.runtime.inference import _TfliteRunner
    from harken.export.quantize import quantize_input, run_tflm

    model, x = tenet_int8
    for interpreter in ("tflm", "litert"):
        runner = _TfliteRunner(model, "tenet.tflite", interpreter=interpreter)
        assert np.array_equal(runner.run(quantize_input(x, model)), run_tflm(model, x)), interpreter


def test_clip_models_run_in_tflm_unless_asked_otherwise(tenet_int8, tmp_path):
    from harken.errors import SettingsError
    from harken.runtime.inference import _TfliteRunner

    model, _ = tenet_int8
    assert _TfliteRunner(model, "tenet.tflite").interpreter == "litert"  # the low-level default
    with pytest.raises(SettingsError, match="interpreter='xnnpack'"):
        _TfliteRunner(model, "tenet.tflite", interpreter="xnnpack")

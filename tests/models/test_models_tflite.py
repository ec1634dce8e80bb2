"""A harken model converts to a fully int8 .tflite that runs in the LiteRT interpreter."""

from __future__ import annotations

import numpy as np
import pytest

from harken.models.tenet import build_tenet, merge_multiscale


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TF converter internals
@pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning")
def test_merged_tenet_converts_to_full_int8_tflite_that_runs():
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    model = merge_multiscale(
        build_tenet((21, 1, 8), 3, channels=4, num_stages=2, blocks_per_stage=2, expansion=2)
    )
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(8, 1, 21, 1, 8)).astype(np.float32)

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    converter.representative_dataset = lambda: ([s] for s in samples)
    tflite_bytes = converter.convert()

    interpreter = Interpreter(model_content=tflite_bytes)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    assert inp["dtype"] == np.int8 and out["dtype"] == np.int8
    assert all(d["dtype"] in (np.int8, np.int32) for d in interpreter.get_tensor_details())
    interpreter.set_tensor(inp["index"], rng.integers(-128, 128, size=inp["shape"], dtype=np.int8))
    interpreter.invoke()
    scores = interpreter.get_tensor(out["index"])
    assert scores.shape == (1, 3)

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


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TF converter internals
@pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning")
def test_channel_mean_subtraction_runs_as_int8_in_tflm_within_a_quantisation_step():
    import keras

    from harken.models.tenet import ChannelMeanSubtraction
    from harken.export.quantize import convert_int8
    from harken.runtime.runner import TfliteRunner

    inputs = keras.Input((21, 1, 8))
    model = keras.Model(inputs, ChannelMeanSubtraction()(inputs))
    rng = np.random.default_rng(1)
    x = np.clip(rng.normal(scale=30.0, size=(16, 21, 1, 8)) + rng.normal(scale=30.0, size=(16, 1, 1, 8)), -128, 127)
    x = np.round(x).astype(np.float32)
    tflite_bytes = convert_int8(model, x)
    runner = TfliteRunner(tflite_bytes)
    got = runner.dequantize(runner.run(runner.quantize(x)))
    step = runner.output["quantization"][0]
    np.testing.assert_allclose(got, x - x.mean(axis=1, keepdims=True), atol=1.5 * step)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TF converter internals
@pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning")
def test_tenet_with_both_views_converts_to_full_int8_keeping_the_front_end_values_as_input():
    from ai_edge_litert.interpreter import Interpreter

    from harken.export.quantize import convert_int8

    model = build_tenet((21, 1, 8), 3, channels=4, num_stages=1, blocks_per_stage=1, kernel_sizes=(3,),
                        channel_mean="both")  # fmt: skip
    x = np.random.default_rng(1).integers(-128, 128, size=(16, 21, 1, 8)).astype(np.float32)
    interpreter = Interpreter(model_content=convert_int8(model, x))
    interpreter.allocate_tensors()
    assert all(d["dtype"] in (np.int8, np.int32) for d in interpreter.get_tensor_details())
    assert {"MEAN", "SUB", "ADD"} <= {op["op_name"] for op in interpreter._get_ops_details()}
    assert interpreter.get_input_details()[0]["quantization"] == (1.0, 0)  # firmware feeds the int8 spectrogram as it is


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TF converter internals
@pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning")
def test_tenet_channel_mean_bias_runs_in_tflm_within_quantisation_steps():
    import keras

    from harken.export.quantize import convert_int8
    from harken.profile.counting import read_operators
    from harken.runtime.runner import TfliteRunner

    model = build_tenet((21, 1, 8), 3, channels=4, num_stages=1, blocks_per_stage=1, kernel_sizes=(3,),
                        channel_mean="bias")  # fmt: skip
    first = keras.Model(model.inputs[0], model.get_layer("temporal_conv_sum").output)  # conv + projected means
    x = np.random.default_rng(2).integers(-128, 128, size=(16, 21, 1, 8)).astype(np.float32)
    tflite_bytes = convert_int8(first, x)
    assert {"mean", "add"} <= {op.op for op in read_operators(tflite_bytes)}
    runner = TfliteRunner(tflite_bytes)
    got = runner.dequantize(runner.run(runner.quantize(x)))
    step = runner.output["quantization"][0]
    np.testing.assert_allclose(got, first(x).numpy(), atol=3 * step)

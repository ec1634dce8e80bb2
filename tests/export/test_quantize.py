"""Quantization: clean int8 op list, input scale 1 / zero point 0, embedded settings, TFLM == LiteRT."""

from __future__ import annotations

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from harken.export.quantize import convert_float, convert_int8, embed_params, input_quantization
from harken.export.tflite import read_params
from harken.frontend import FrontendSettings, compute_spectrograms
from harken.models import build_model
from harken.profile.summarize import tflite_summary
from harken.runtime.runner import run_tflite
from harken.spec.loader import find_spec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


@pytest.fixture(scope="module")
def small_cnn_int8():
    """The seeds' small CNN (untrained) quantized on front-end spectrograms of noise and tones."""
    spec = find_spec("keyword_spotting_on_off")
    model = build_model("cnn", input_shape=spec.input_shape, num_classes=spec.num_classes)
    rng = np.random.default_rng(0)
    t = np.arange(spec.frontend.sample_length) / spec.frontend.sample_rate_hz
    clips = [0.3 * np.sin(2 * np.pi * rng.uniform(200, 3000) * t) * rng.uniform(0, 1, t.size) ** 2
             + rng.normal(0, 0.01, t.size) for _ in range(24)]
    x = compute_spectrograms(np.stack(clips).astype(np.float32), spec.frontend)[..., None].astype(np.float32)
    return spec, model, x, embed_params(convert_int8(model, x), spec)


def test_small_cnn_converts_to_the_seven_clean_int8_ops(small_cnn_int8):
    _, _, _, tflite = small_cnn_int8
    summary = tflite_summary(tflite)
    assert [layer.op for layer in summary.layers] == [
        "conv_2d", "conv_2d", "conv_2d", "max_pool_2d", "reshape", "fully_connected", "softmax"]
    assert all(t.dtype in ("int8", "int32") for layer in summary.layers for t in layer.inputs + layer.outputs)


def test_int8_input_takes_spectrogram_values_unchanged(small_cnn_int8):
    assert input_quantization(small_cnn_int8[3]) == (1.0, 0)


def test_input_range_is_pinned_when_samples_do_not_reach_the_int8_limits(small_cnn_int8):
    spec, model, x, _ = small_cnn_int8
    narrow = np.clip(x, -100, 100)
    assert input_quantization(convert_int8(model, narrow)) == (1.0, 0)
    scale, zero_point = input_quantization(convert_int8(model, narrow, pin_input_range=False))
    assert scale < 0.9


def test_settings_are_embedded_and_read_back_without_tensorflow(small_cnn_int8):
    spec, _, _, tflite = small_cnn_int8
    params = read_params(tflite)
    assert list(params)[:7] == ["name", "version", "description", "classes", "hash", "date", "runtime_memory_size"]
    assert params["classes"] == ["on", "off", "_unknown_", "_silence_"]
    assert params["fe.sample_rate_hz"] == 8000 and params["fe.fft_length"] == 256
    assert params["detection_threshold"] == 160 and params["suppression_ms"] == 750
    assert 4000 < params["runtime_memory_size"] < 20000
    assert len(params["hash"]) == 32 and params["date"].endswith("Z")


def test_tflm_outputs_equal_litert_outputs(small_cnn_int8):
    _, _, x, tflite = small_cnn_int8
    assert np.array_equal(run_tflite(tflite, x[:6]), run_tflite(tflite, x[:6], interpreter="litert"))


def test_float_model_runs_and_agrees_with_keras(small_cnn_int8):
    _, model, x, _ = small_cnn_int8
    tflite = convert_float(model)
    expected = model.predict(x[:4], verbose=0)
    assert np.allclose(run_tflite(tflite, x[:4], interpreter="litert"), expected, atol=1e-5)


def test_update_params_command_rewrites_only_the_metadata(small_cnn_int8, tmp_path):
    from harken.cli.model import register

    spec, _, x, tflite = small_cnn_int8
    path = tmp_path / "m.tflite"
    path.write_bytes(tflite)
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["update-params", str(path), "suppression_ms=500",
                                      "detection_threshold=200", "description=lights"])
    assert result.exit_code == 0, result.output
    params = read_params(path)
    assert (params["suppression_ms"], params["detection_threshold"], params["description"]) == (500, 200, "lights")
    assert np.array_equal(run_tflite(path.read_bytes(), x[:3], interpreter="litert"),
                          run_tflite(tflite, x[:3], interpreter="litert"))


def test_update_params_rejects_a_setting_without_value(small_cnn_int8, tmp_path):
    from harken.cli.model import register
    from harken.errors import SettingsError

    path = tmp_path / "m.tflite"
    path.write_bytes(small_cnn_int8[3])
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["update-params", str(path), "suppression_ms"])
    assert isinstance(result.exception, SettingsError) and "KEY=VALUE" in str(result.exception)


@pytest.mark.slow
def test_quantize_redoes_the_models_from_saved_weights(tmp_path, monkeypatch):
    from tests.training.test_train import tiny_data, tiny_spec

    from harken.export.quantize import quantize
    from harken.training.job import train

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path))
    spec = tiny_spec(name="requant", epochs=1)
    first = train(spec, data=tiny_data(spec), write_archive=False)
    before = first.quantization.tflite_path.read_bytes()
    first.quantization.tflite_path.unlink()
    again = quantize(spec)
    after = again.tflite_path.read_bytes()
    assert read_params(after)["hash"] == read_params(before)["hash"]  # same model, same settings
    assert again.float_tflite_path.is_file()


def test_v3_front_end_gives_the_seeds_input_shape():
    fe = FrontendSettings()
    assert (*fe.spectrogram_shape, 1) == find_spec("keyword_spotting_on_off_v3").input_shape == (98, 104, 1)

"""``harken train NAME-test`` end to end through the CLI, with an in-memory stand-in for the pipeline."""

from __future__ import annotations

import sys
import types

import pytest
import typer
from typer.testing import CliRunner

from harken.cli.model import register

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")]

SPEC = '''\
"""Tiny CLI test model."""
import harken
from harken.frontend import FrontendSettings
from harken.spec import ModelSettings, QuantizationSettings, TrainingSettings

spec = harken.ModelSpec(
    classes=("on", "off", "_unknown_"),
    frontend=FrontendSettings(sample_rate_hz=8000, sample_length_ms=250, window_size_ms=30, window_step_ms=20,
                              filterbank_n_channels=8, filterbank_upper_band_limit=3999.0),
    model=ModelSettings(architecture="cnn", options={"filters": 4}),
    training=TrainingSettings(epochs=20, batch_size=8),
    quantization=QuantizationSettings(num_representative_samples=16),
)
'''


def test_train_command_runs_a_dry_run_with_test_outputs(tmp_path, monkeypatch):
    from tests.training.test_train import tiny_data

    calls = []

    def build_training_data(spec, *, dry_run, workers=None, quiet=False):
        calls.append((spec.name, dry_run))
        return tiny_data(spec)

    monkeypatch.setitem(sys.modules, "harken.pipeline.data",
                        types.SimpleNamespace(build_training_data=build_training_data))
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    (tmp_path / "tinycli.py").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["train", "tinycli-test", "--quiet"])
    assert result.exit_code == 0, result.output
    assert calls == [("tinycli-test", True)]
    assert "trained tinycli-test: 3 epoch(s)" in result.output
    assert "int8 input scale 1, zero point 0" in result.output and "int8 figures from TFLM" in result.output
    assert (tmp_path / "tinycli-test.harken.zip").is_file()
    assert (tmp_path / "home" / "models" / "tinycli-test" / "tinycli-test.tflite").is_file()

    assert "never met" not in result.output  # the default detection settings can fire at its hop

    again = CliRunner().invoke(app, ["quantize", "tinycli-test"])
    assert again.exit_code == 0, again.output
    assert "archive:" in again.output


def test_detection_settings_that_can_never_fire_are_warned_about_after_training(tmp_path, monkeypatch):
    from tests.training.test_train import tiny_data

    monkeypatch.setitem(sys.modules, "harken.pipeline.data",
                        types.SimpleNamespace(build_training_data=lambda spec, **_: tiny_data(spec)))
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    never = SPEC.replace("from harken.spec import ", "from harken.spec import DetectionSettings, ").replace(
        "    quantization=", "    detection=DetectionSettings(average_window_duration_ms=10, minimum_count=3),\n"
        "    quantization=")  # fmt: skip
    (tmp_path / "tinynever.py").write_text(never)
    monkeypatch.chdir(tmp_path)
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["train", "tinynever-test", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "minimum_count 3 is never met" in result.output
    assert "the device would detect nothing" in result.output

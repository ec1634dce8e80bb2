"""Summaries: the seeds' small CNN reports 278,144 MACs from Keras and from its int8 .tflite."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from harken.cli.model import register

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


@pytest.fixture(scope="module")
def cli():
    app = typer.Typer()
    register(app)
    return app


def test_summarize_small_cnn_keras_reports_278144_macs(cli):
    result = CliRunner().invoke(cli, ["summarize", "keyword_spotting_on_off"])
    assert result.exit_code == 0, result.output
    assert "Total MACs: 278.144 k (278,144)" in result.output
    assert "Total params: 6,628" in result.output
    assert "fe.sample_rate_hz: 8000" in result.output and "detection_threshold: 160" in result.output


def test_summarize_small_cnn_tflite_table_and_totals(cli):
    result = CliRunner().invoke(cli, ["summarize", "keyword_spotting_on_off", "--tflite"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Total MACs: 278.144 k" in out
    assert "Total OPs: 574.488 k" in out  # the seeds' profiler: 574.5k
    assert "| 0     | conv_2d         | 49x32x1 (int8) | 25x16x8 (int8) | Padding:same stride:2x2 activation:relu" in out
    assert "max_pool_2d" in out and "Padding:valid stride:1x7 filter:1x7 activation:none" in out
    assert "Classes: on, off, _unknown_, _silence_" in out and "runtime_memory_size:" in out


def test_summarize_a_tflite_file(cli, tmp_path):
    from harken.spec.loader import find_spec
    from harken.profile.summarize import build_untrained_tflite

    path = tmp_path / "m.tflite"
    path.write_bytes(build_untrained_tflite(find_spec("keyword_spotting_on_off")))
    result = CliRunner().invoke(cli, ["summarize", str(path)])
    assert result.exit_code == 0 and "Total MACs: 278.144 k" in result.output


def test_summarize_an_untrained_ensemble_spec_counts_every_member(cli, tmp_path, monkeypatch):
    (tmp_path / "three_small.py").write_text(
        "import copy\nfrom harken.spec.loader import find_spec\n"
        "spec = copy.deepcopy(find_spec('keyword_spotting_on_off'))\nspec.name, spec.source_path = '', None\n"
        "spec.training.ensemble_size = 3\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["summarize", "three_small"])
    assert result.exit_code == 0, result.output
    assert "Total params: 19,884" in result.output  # 3 x 6,628: the file firmware would run holds all three
    assert "Total MACs: 834.432 k (834,432)" in result.output

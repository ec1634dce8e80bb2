"""``harken calibrate --stream --search-recognizer`` end to end on the tiny tone model and a one-minute stream."""

from __future__ import annotations

import json
import shutil

import pytest
import typer
from typer.testing import CliRunner

from harken.cli import evaluate as evaluate_cli
from harken.errors import SettingsError
from harken.export.tflite import read_params
from harken.streaming.model import load_stream_model
from tests.streaming.tone_model import DETECTION

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # TF converter internals
    pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning"),
]
GRID = ["--windows-ms", "200,500", "--minimum-counts", "1,3", "--suppressions-ms", "500,900"]  # none is the model's own


def _run(*args: str):
    app = typer.Typer()
    evaluate_cli.register(app)
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_the_chosen_window_count_suppression_and_thresholds_are_written_with_a_backup(tones, tmp_path):
    model = shutil.copy(tones / "tones.tflite", tmp_path / "m.tflite")
    original = model.read_bytes()
    result = _run("calibrate", str(model), "--stream", str(tones / "s.wav"), "--labels", str(tones / "s.csv"),
                  "--hop-ms", "100", "--target-false-accepts-per-hour", "60", "--search-recognizer", *GRID, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    chosen = data["chosen"]
    assert len(data["points"]) == 2 * 2 * 2 and data["backup"] == f"{model}.bak" and data["hop_ms"] == 100
    assert data["current"]["window_ms"] == 300 and data["current"]["minimum_count"] == 2
    params = read_params(model.read_bytes())
    assert params["detection_threshold_list"] == chosen["thresholds"]
    assert params["suppression_ms"] == chosen["suppression_ms"] in (500, 900)
    assert (params["average_window_duration_ms"], params["minimum_count"]) == (chosen["window_ms"], chosen["minimum_count"])
    assert chosen["window_ms"] in (200, 500) and chosen["minimum_count"] in (1, 3)
    assert (tmp_path / "m.tflite.bak").read_bytes() == original
    assert read_params(original)["suppression_ms"] == DETECTION["suppression_ms"]
    loaded = load_stream_model(model)  # the stream tools read back what was written
    assert loaded.recognizer.suppression_ms == chosen["suppression_ms"]
    assert list(loaded.recognizer.detection_threshold_list) == chosen["thresholds"]


def test_a_dry_run_prints_the_table_and_changes_nothing(tones, tmp_path):
    model = shutil.copy(tones / "tones.tflite", tmp_path / "m.tflite")
    result = _run("calibrate", str(model), "--stream", str(tones / "s.wav"), "--labels", str(tones / "s.csv"),
                  "--hop-ms", "100", "--search-recognizer", "--windows-ms", "0,500", "--minimum-counts", "1,3",
                  "--suppressions-ms", "500,900", "--dry-run")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("6 recognizer settings tried at a 100 ms hop (0 skipped")  # window 0 (no averaging): one per suppression
    assert "window ms" in lines[1] and "thr on/off" in lines[1] and "p90" in lines[1]
    assert lines[2].startswith("*  ") and lines[7].startswith("now")
    assert lines[-1].startswith("dry run: ") and lines[-1].endswith(" not written")
    assert model.read_bytes() == (tones / "tones.tflite").read_bytes() and not (tmp_path / "m.tflite.bak").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--search-recognizer", "--windows-ms", "300,abc"], r"^--windows-ms '300,abc': give comma-separated whole numbers"),
    (["--search-recognizer", "--minimum-counts", "0,2"], r"^--minimum-counts: 0 is out of range; give whole numbers 1 to 50"),
    (["--search-recognizer", "--suppressions-ms", "1"], r"^--suppressions-ms: 1 is out of range"),
    (["--windows-ms", "300"], r"^--windows-ms needs --search-recognizer$"),
])  # fmt: skip
def test_bad_grid_options_are_one_line_errors_naming_the_option(tones, args, message):
    with pytest.raises(SettingsError, match=message) as info:
        _run("calibrate", str(tones / "tones.tflite"), "--stream", str(tones / "s.wav"), "--labels",
             str(tones / "s.csv"), "--dry-run", *args)  # fmt: skip
    assert "\n" not in str(info.value)


def test_the_search_needs_a_stream(tones, tmp_path):
    with pytest.raises(SettingsError, match=r"--search-recognizer and its grid options need --stream"):
        _run("calibrate", str(tones / "tones.tflite"), "--dataset", str(tmp_path), "--search-recognizer")


def test_the_search_writes_only_into_a_tflite_but_a_dry_run_reads_an_archive(tones, tmp_path):
    import zipfile

    from harken.errors import ModelFileError
    from harken.streaming.calibrate import search_on_stream
    from harken.streaming.recognizer_search import RecognizerGrid

    with zipfile.ZipFile(tmp_path / "tones.harken.zip", "w") as archive:
        archive.write(tones / "tones.tflite", "tones.tflite")
    grid = RecognizerGrid(windows_ms=(500,), minimum_counts=(2,), suppressions_ms=(700,))
    with pytest.raises(ModelFileError, match=r"tones\.tflite: recognizer settings are stored in a \.tflite"):
        search_on_stream(tmp_path / "tones.harken.zip", tones / "s.wav", tones / "s.csv", hop_ms=100, grid=grid)
    found, _, backup = search_on_stream(tmp_path / "tones.harken.zip", tones / "s.wav", tones / "s.csv", hop_ms=100,
                                        grid=grid, dry_run=True)  # fmt: skip
    assert backup is None and found.hop_ms == 100 and len(found.points) == 1 and found.best.window_ms == 500

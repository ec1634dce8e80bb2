"""``harken features``: the golden comparison is a command anyone can run; bad input is one line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from harken.cli.main import app
from tests.conftest import GOLDEN_FRONTEND

runner = CliRunner()


@pytest.mark.parametrize("setting_id", ["v3_int8", "seed003_uint16"])
def test_features_of_a_folder_equals_the_golden_npz(tmp_path, setting_id):
    import json

    meta = json.loads((GOLDEN_FRONTEND / "settings" / f"{setting_id}.json").read_text())
    out = tmp_path / "out.npz"
    result = runner.invoke(app, ["features", str(GOLDEN_FRONTEND / meta["inputs"]), "--settings",
                                 str(GOLDEN_FRONTEND / "settings" / f"{setting_id}.json"),
                                 "--dtype", meta["dtype"], "--out", str(out)])
    assert result.exit_code == 0, result.output
    ours, reference = np.load(out), np.load(GOLDEN_FRONTEND / "outputs" / f"{setting_id}.npz")
    assert sorted(ours.files) == sorted(reference.files)
    for name in reference.files:
        assert np.array_equal(ours[name], reference[name]), name


def test_features_png_writes_one_image_per_file(tmp_path):
    wav = GOLDEN_FRONTEND / "inputs/16k/on_enus-f3_s150.wav"
    result = runner.invoke(app, ["features", str(wav), "--out", str(tmp_path / "o.npz"),
                                 "--png", str(tmp_path / "png")])
    assert result.exit_code == 0, result.output
    png = tmp_path / "png" / "on_enus-f3_s150.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harken.cli.main", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda p: p.write_text("hello"), "not a readable audio file"),
        (lambda p: p.write_bytes(b""), "not a readable audio file"),
        (lambda p: sf.write(p, np.zeros(100, np.int16), 16000, subtype="PCM_16"), "shorter than one window"),
    ],
)
def test_bad_input_gives_one_line_error_and_exit_2(tmp_path, make, expected):
    bad = tmp_path / "bad.wav"
    make(bad)
    proc = _run_cli("features", str(bad), "--out", str(tmp_path / "o.npz"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_settings_file_gives_one_line_error(tmp_path):
    settings = tmp_path / "fe.json"
    settings.write_text('{"fe.filterbank_n_channels": 0}')
    wav = GOLDEN_FRONTEND / "inputs/16k/on_enus-f3_s150.wav"
    proc = _run_cli("features", str(wav), "--settings", str(settings), "--out", str(tmp_path / "o.npz"))
    assert proc.returncode == 2 and "filterbank_n_channels=0 must be >= 1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_stereo_and_other_rates_are_converted(tmp_path):
    clip = sf.read(GOLDEN_FRONTEND / "inputs/8k/on_enus-f3_s150.wav", dtype="int16")[0]
    sf.write(tmp_path / "stereo8k.wav", np.stack([clip, clip], axis=1), 8000, subtype="PCM_16")
    result = runner.invoke(app, ["features", str(tmp_path / "stereo8k.wav"), "--out", str(tmp_path / "o.npz")])
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "o.npz")["stereo8k.wav"].shape == (98, 104)


def test_view_audio_writes_original_and_augmented_views(tmp_path):
    wav = GOLDEN_FRONTEND / "inputs/16k/on_enus-f3_s150.wav"
    result = runner.invoke(app, ["view-audio", str(wav), "--out", str(tmp_path), "--count", "2", "--no-rooms"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["augmentations.json", "on_enus-f3_s150_aug00.png", "on_enus-f3_s150_aug00.wav",
                     "on_enus-f3_s150_aug01.png", "on_enus-f3_s150_aug01.wav", "on_enus-f3_s150_original.png"]
    assert sf.info(tmp_path / "on_enus-f3_s150_aug00.wav").frames == 16000
    import json

    records = json.loads((tmp_path / "augmentations.json").read_text())
    assert {r["name"] for r in records["on_enus-f3_s150_aug00.wav"]} >= {"trim", "placement"}


def test_python_dash_m_harken_runs_the_command_line():
    proc = subprocess.run([sys.executable, "-m", "harken", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "python -m harken [OPTIONS] COMMAND" in proc.stdout and "view-audio" in proc.stdout

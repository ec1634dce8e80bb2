"""The built-in specs' dry runs train end to end (the CI stand-ins for the full runs).

``on_off_offline-test`` synthesises its own speech. ``keyword_spotting_on_off_v3-test`` downloads
Speech Commands: here a tiny archive in the same layout is served from 127.0.0.1 and the source's
URL and hash point at it, so download, hash check, extraction, scanning, augmentation, training,
quantization and parameter embedding all run through the real code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from harken.export.tflite import read_params

pytestmark = pytest.mark.slow


def _cli():
    import typer

    from harken.cli import model as cli_model

    app = typer.Typer()
    cli_model.register(app)
    return app


def _tiny_speech_commands(folder) -> bytes:
    """A .tar.gz shaped like Speech Commands v2: word folders of 1 s 16 kHz clips + background noise."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for k, word in enumerate(["on", "off", "yes", "no"]):
            for speaker in range(24):
                t = np.arange(16000) / 16000
                clip = np.sin(2 * np.pi * (250 + 150 * k) * t) * np.hanning(16000) * 0.3
                data = io.BytesIO()
                sf.write(data, clip + rng.standard_normal(16000) * 1e-3, 16000, subtype="PCM_16", format="WAV")
                info = tarfile.TarInfo(f"./{word}/{speaker:06x}{k:02x}_nohash_0.wav")
                info.size = len(data.getvalue())
                tar.addfile(info, io.BytesIO(data.getvalue()))
        noise = io.BytesIO()
        sf.write(noise, rng.standard_normal(32000) * 0.05, 16000, subtype="PCM_16", format="WAV")
        info = tarfile.TarInfo("./_background_noise_/white_noise.wav")
        info.size = len(noise.getvalue())
        tar.addfile(info, io.BytesIO(noise.getvalue()))
    return buffer.getvalue()


@pytest.fixture
def local_speech_commands(tmp_path, monkeypatch):
    """Serve the tiny archive on 127.0.0.1 and point the speech_commands_v2 source at it."""
    from harken.datasets import sources

    served = tmp_path / "served"
    served.mkdir()
    archive = _tiny_speech_commands(served)
    (served / "speech_commands_v0.02.tar.gz").write_bytes(archive)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/speech_commands_v0.02.tar.gz"
    source = dataclasses.replace(sources.SOURCES["speech_commands_v2"], url=url,
                                 hash="sha1:" + hashlib.sha1(archive).hexdigest())
    monkeypatch.setitem(sources.SOURCES, "speech_commands_v2", source)
    yield
    server.shutdown()
    server.server_close()


def _check_model(home, name: str, classes: list[str]) -> None:
    work = home / "models" / name
    assert (work / f"{name}.harken.zip").is_file()
    params = read_params(work / f"{name}.tflite")
    assert params["classes"] == classes
    assert params["fe.filterbank_n_channels"] == 104 and params["runtime_memory_size"] > 0
    assert len(params["hash"]) == 32
    import json

    results = json.loads((work / "validation_results.json").read_text())
    assert results["int8_interpreter"] == "tflm" and results["litert_max_step_difference"] <= 1


def test_on_off_offline_dry_run_trains_to_an_int8_model(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["train", "on_off_offline-test", "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    _check_model(tmp_path / "home", "on_off_offline-test", ["on", "off", "_unknown_"])


def _my_clips(clips):
    """A folder of "your recordings": on, off and yes by 8 speakers, tones standing in for speech."""
    rng = np.random.default_rng(1)
    t = np.arange(16000) / 16000
    for k, word in enumerate(["on", "off", "yes"]):
        (clips / word).mkdir(parents=True)
        for speaker in range(8):
            clip = np.sin(2 * np.pi * (300 + 200 * k) * t) * np.hanning(16000) * 0.3 + rng.standard_normal(16000) * 1e-3
            sf.write(clips / word / f"{speaker:06x}{k:02x}_nohash_0.wav", clip, 16000, subtype="PCM_16")
    return clips


def test_on_off_dev_mix_dry_run_fine_tunes_the_quickstart_model(tmp_path, monkeypatch):
    clips = _my_clips(tmp_path / "my_clips")
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARKEN_REAL_CLIPS", raising=False)
    result = CliRunner().invoke(_cli(), ["train", "on_off_dev_mix-test", "--quiet"])
    assert result.exit_code != 0 and "set HARKEN_REAL_CLIPS to a folder" in str(result.exception)
    monkeypatch.setenv("HARKEN_REAL_CLIPS", str(clips))
    result = CliRunner().invoke(_cli(), ["train", "on_off_dev_mix-test", "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "models" / "on_off_offline-test" / "on_off_offline-test.keras").is_file()
    _check_model(tmp_path / "home", "on_off_dev_mix-test", ["on", "off", "_unknown_"])


def test_on_off_dev_mix_large_dry_run_fine_tunes_each_member_of_the_offline_ensemble(tmp_path, monkeypatch):
    from harken.training.ensemble import member_files

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HARKEN_REAL_CLIPS", str(_my_clips(tmp_path / "my_clips")))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["train", "on_off_dev_mix_large-test", "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "an ensemble of 2 models (seeds 0-1) merged into one" in result.output
    models = tmp_path / "home" / "models"
    assert len(member_files(models / "on_off_offline_large-test")) == 2  # the base ensemble, trained first
    assert len(member_files(models / "on_off_dev_mix_large-test")) == 2
    _check_model(tmp_path / "home", "on_off_dev_mix_large-test", ["on", "off", "_unknown_"])


def test_v3_dry_run_trains_through_the_download_path(tmp_path, monkeypatch, local_speech_commands):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["train", "keyword_spotting_on_off_v3-test", "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "datasets" / "speech_commands_v2" / ".harken-complete").is_file()
    _check_model(tmp_path / "home", "keyword_spotting_on_off_v3-test", ["on", "off", "_unknown_"])

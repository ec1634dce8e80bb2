"""``harken classify-audio`` on wav files (every option) and on a fake microphone (sounddevice mocked at its boundary).

The model is the stored SL_PARAMSv1 fixture (a tiny int8 CNN with random weights, on/off/_unknown_); the expected
detections come from the library (:func:`harken.streaming.run_device_loop`) with the same settings.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import zipfile

import numpy as np
import pytest
import soundfile as sf
import typer
from typer.testing import CliRunner

from harken.audio.io import read_audio
from harken.cli.classify import register
from harken.errors import AudioError, HarkenError, SettingsError
from harken.streaming import RecognizerSettings, apply_volume_gain, load_stream_model, run_device_loop
from tests.conftest import DATA, GOLDEN_FRONTEND

TINY = DATA / "params" / "tiny_with_params.tflite"
CLIPS = GOLDEN_FRONTEND / "inputs" / "16k"
FIRE = ["--count", "0", "--threshold", "86", "--suppression", "300"]  # the random model's scores cross 86


def _run(*args: str):
    app = typer.Typer()
    register(app)
    app.command("other")(lambda: None)  # two commands, so the command name is part of the arguments
    return CliRunner().invoke(app, ["classify-audio", *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def model():
    return load_stream_model(TINY)


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    """3 s: 'on', 'off', white noise."""
    names = ("on_enus-f3_s150.wav", "off_enus-m3_s150.wav", "white_noise_m30dbfs_rms.wav")
    audio = np.concatenate([read_audio(CLIPS / n)[0] for n in names])
    path = tmp_path_factory.mktemp("classify") / "three.wav"
    sf.write(path, audio, 16000, subtype="PCM_16")
    return path


def _expected(model, wav, **changes) -> list[str]:
    audio = read_audio(wav)[0]
    hop = changes.pop("hop_ms", model.hop_ms)
    gain = changes.pop("volume_gain", 0)
    saturate = changes.pop("saturate", False)
    settings = dataclasses.replace(model.recognizer, **changes)
    result = run_device_loop(model, audio, hop_ms=hop, recognizer=settings, volume_gain=gain, saturate=saturate)
    return [d.line() for d in result.detections]


def _detections(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Detected ")]


def test_prints_the_firmwares_detection_lines(model, wav):
    result = _run(TINY, wav, *FIRE)
    expected = _expected(model, wav, minimum_count=0, detection_threshold=86, detection_threshold_list=None,
                         suppression_ms=300)  # fmt: skip
    assert result.exit_code == 0 and expected
    assert _detections(result.stdout) == expected
    assert all(line.startswith("Detected class=") and line.endswith("ms") for line in expected)


def test_the_models_own_settings_are_the_default(model, wav):
    result = _run(TINY, wav, "--json", wav.parent / "d.json")
    report = json.loads((wav.parent / "d.json").read_text())
    assert report["recognizer"] == model.recognizer.to_dict() and report["hop_ms"] == model.hop_ms
    assert _detections(result.stdout) == _expected(model, wav)


@pytest.mark.parametrize("option, value, key", [("--window", 500, "average_window_duration_ms"),
                                                ("--count", 1, "minimum_count"),
                                                ("--suppression", 1, "suppression_ms")])  # fmt: skip
def test_recognizer_overrides(model, wav, tmp_path, option, value, key):
    base = ["--threshold", "86", "--count", "0"]
    args = [a for a in base if a != option] if option != "--count" else ["--threshold", "86"]
    result = _run(TINY, wav, *args, option, value, "--json", tmp_path / "d.json")
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["recognizer"][key] == value
    changes = {"detection_threshold": 86, "detection_threshold_list": None, "minimum_count": 0, key: value}
    assert _detections(result.stdout) == _expected(model, wav, **changes)


def test_threshold_replaces_the_per_class_list(wav, tmp_path):
    _run(TINY, wav, "--threshold", "255", "--json", tmp_path / "d.json")
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["recognizer"]["detection_threshold"] == 255 and report["recognizer"]["detection_threshold_list"] is None
    assert report["streams"][0]["detections"] == []  # nothing is above 255


def test_latency_sets_the_hop_to_inference_time_plus_latency(model, wav, tmp_path):
    result = _run(TINY, wav, *FIRE, "--latency", "200", "--json", tmp_path / "d.json")
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["hop_ms"] == model.inference_ms + 200
    assert _detections(result.stdout) == _expected(model, wav, hop_ms=model.inference_ms + 200, minimum_count=0,
                                                   detection_threshold=86, detection_threshold_list=None,
                                                   suppression_ms=300)  # fmt: skip


def test_hop_ms_sets_the_hop(model, wav, tmp_path):
    result = _run(TINY, wav, *FIRE, "--hop-ms", "120", "--verbose", "--json", tmp_path / "d.json")
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["hop_ms"] == 120 and report["streams"][0]["inferences"] == 25  # 3000 // 120
    assert [line.split()[0] for line in result.stdout.splitlines() if line.startswith("@")][:2] == ["@120ms", "@240ms"]


def test_latency_and_hop_ms_together_are_refused(wav):
    with pytest.raises(SettingsError, match="--hop-ms or --latency"):
        _run(TINY, wav, "--latency", "10", "--hop-ms", "100")


def test_verbose_prints_every_inferences_scores(model, wav):
    result = _run(TINY, wav, "--verbose", "--hop-ms", "500")
    lines = [line for line in result.stdout.splitlines() if line.startswith("@")]
    scores = run_device_loop(model, read_audio(wav)[0], hop_ms=500).scores
    assert lines == [f"@{t}ms on={s[0]} off={s[1]} _unknown_={s[2]}" for t, s in zip(scores.times_ms, scores.scores)]


@pytest.mark.parametrize("saturate", [False, True])
def test_volume_gain_is_applied_and_dumped_as_heard(model, wav, tmp_path, saturate):
    extra = ["--saturate"] if saturate else []
    result = _run(TINY, wav, *FIRE, "--volume", "4", *extra, "--dump-audio", tmp_path, "--json", tmp_path / "d.json")
    heard = read_audio(tmp_path / "three.wav")[0]
    assert np.array_equal(heard, apply_volume_gain(read_audio(wav)[0], 4, saturate=saturate))
    assert json.loads((tmp_path / "d.json").read_text())["volume_gain"] == 4
    assert _detections(result.stdout) == _expected(model, wav, volume_gain=4, saturate=saturate, minimum_count=0,
                                                   detection_threshold=86, detection_threshold_list=None,
                                                   suppression_ms=300)  # fmt: skip


def test_dump_spectrograms_writes_the_int8_windows_and_a_png_strip(model, wav, tmp_path):
    _run(TINY, wav, "--hop-ms", "250", "--dump-spectrograms", tmp_path)
    windows = np.load(tmp_path / "three.npy")
    expected = run_device_loop(model, read_audio(wav)[0], hop_ms=250, keep_windows=True).scores
    assert windows.dtype == np.int8 and np.array_equal(windows, expected.windows)
    assert np.array_equal(np.load(tmp_path / "three.times_ms.npy"), expected.times_ms)
    assert (tmp_path / "three.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_json_reports_every_stream(wav, tmp_path):
    result = _run(TINY, wav, wav, *FIRE, "--json", tmp_path / "d.json", "--dump-audio", tmp_path)
    report = json.loads((tmp_path / "d.json").read_text())
    assert [s["source"] for s in report["streams"]] == [str(wav), str(wav)]
    assert report["streams"][0]["detections"] == report["streams"][1]["detections"]  # each from power-on
    assert report["streams"][0]["duration_ms"] == 3000 and not report["streams"][0]["interrupted"]
    assert [s["audio"] for s in report["streams"]] == [str(tmp_path / "three.wav"), str(tmp_path / "three-2.wav")]
    assert result.stdout.count(f"# {wav}") == 2
    first = report["streams"][0]["detections"][0]
    assert f"Detected class={first['class_index']} label={first['label']} score={first['score']} @{first['time_ms']}ms" in result.stdout


def test_an_archive_is_a_model(model, wav, tmp_path):
    archive = tmp_path / "tiny.harken.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(TINY, "tiny.tflite")
    assert _detections(_run(archive, wav, *FIRE).stdout) == _detections(_run(TINY, wav, *FIRE).stdout)


def test_ctrl_c_stops_and_keeps_the_dumps(wav, tmp_path, monkeypatch):
    from harken.streaming.loop import DeviceLoop

    push, calls = DeviceLoop.push, []

    def interrupted(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return push(self, chunk)

    monkeypatch.setattr(DeviceLoop, "push", interrupted)
    result = _run(TINY, wav, "--hop-ms", "10", "--dump-audio", tmp_path, "--dump-spectrograms", tmp_path,
                  "--json", tmp_path / "d.json")  # fmt: skip
    assert result.exit_code == 130
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["streams"][0]["interrupted"] and report["streams"][0]["duration_ms"] == 640  # one chunk: 64 hops
    assert len(read_audio(tmp_path / "three.wav")[0]) == calls[0] == 10240
    assert len(np.load(tmp_path / "three.npy")) == 64


def test_bad_input_is_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "not.wav"
    bad.write_text("hello")
    with pytest.raises(AudioError, match="not.wav: not a readable audio file"):
        _run(TINY, bad)
    with pytest.raises(SettingsError, match="give wav files"):
        _run(TINY)
    with pytest.raises(HarkenError, match="nothing.tflite"):
        _run(tmp_path / "nothing.tflite", bad)


# ---- the microphone, with sounddevice replaced at its boundary -------------------------------------------------


class FakeInputStream:
    """sounddevice.InputStream over prepared samples; records how it was opened, started and closed."""

    opened: list[dict] = []
    audio = np.zeros(0, np.int16)
    interrupt_after: int | None = None

    def __init__(self, **kwargs):
        FakeInputStream.opened.append(kwargs)
        self.position, self.reads, self.closed = 0, 0, False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed = True
        FakeInputStream.opened[-1]["closed"] = True

    def read(self, frames):
        self.reads += 1
        if self.interrupt_after is not None and self.reads > self.interrupt_after:
            raise KeyboardInterrupt
        block = np.zeros((frames, 1), np.int16)
        chunk = self.audio[self.position : self.position + frames]
        block[: len(chunk), 0] = chunk
        self.position += frames
        return block, False


@pytest.fixture
def fake_sounddevice(monkeypatch, wav):
    module = types.ModuleType("sounddevice")
    module.InputStream = FakeInputStream
    module.PortAudioError = type("PortAudioError", (Exception,), {})
    FakeInputStream.opened, FakeInputStream.audio = [], read_audio(wav)[0]
    FakeInputStream.interrupt_after = None
    monkeypatch.setitem(sys.modules, "sounddevice", module)
    return FakeInputStream


def test_the_microphone_gives_the_same_detections_as_the_file(model, wav, fake_sounddevice, tmp_path):
    result = _run(TINY, "--microphone", "--seconds", "3", *FIRE, "--hop-ms", "100", "--json", tmp_path / "d.json")
    assert result.exit_code == 0
    opened = fake_sounddevice.opened[0]
    assert (opened["samplerate"], opened["channels"], opened["dtype"], opened["device"]) == (16000, 1, "int16", None)
    assert opened["closed"]
    assert _detections(result.stdout) == _detections(_run(TINY, wav, *FIRE, "--hop-ms", "100").stdout)
    assert "_unknown_" in result.stderr and "\r" in result.stderr  # the live scores line
    assert json.loads((tmp_path / "d.json").read_text())["streams"][0]["source"] == "microphone:default"


def test_the_microphone_name_picks_the_device(fake_sounddevice):
    _run(TINY, "--microphone", "USB Audio", "--seconds", "0.5")
    assert fake_sounddevice.opened[0]["device"] == "USB Audio"


def test_ctrl_c_stops_the_microphone_and_keeps_the_dumps(fake_sounddevice, tmp_path):
    fake_sounddevice.interrupt_after = 5
    result = _run(TINY, "--microphone", "--hop-ms", "100", "--dump-audio", tmp_path, "--dump-spectrograms", tmp_path,
                  "--json", tmp_path / "d.json")  # fmt: skip
    assert result.exit_code == 0 and "stopped" in result.stderr
    assert fake_sounddevice.opened[0]["closed"]
    assert len(read_audio(tmp_path / "microphone.wav")[0]) == 5 * 1600
    assert len(np.load(tmp_path / "microphone.npy")) == 5
    assert json.loads((tmp_path / "d.json").read_text())["streams"][0]["interrupted"]


def test_a_missing_sounddevice_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import sounddevice -> ImportError
    with pytest.raises(HarkenError, match=r"sounddevice package, which is not installed: pip install 'harken\[mic\]'"):
        _run(TINY, "--microphone")


def test_a_missing_portaudio_is_one_line(monkeypatch, tmp_path):
    (tmp_path / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(HarkenError, match="PortAudio library is missing \\(PortAudio library not found\\)"):
        _run(TINY, "--microphone")


def test_the_microphone_takes_one_device_name(wav):
    with pytest.raises(SettingsError, match="one device NAME"):
        _run(TINY, "--microphone", wav, wav)


def test_tail_ms_appends_silence_after_each_file(model, wav, tmp_path):
    """--tail-ms N: the file then N ms of zeros, as one stream (the device keeps listening after a clip)."""
    audio = read_audio(wav)[0]
    padded = tmp_path / "padded.wav"
    sf.write(padded, np.concatenate([audio, np.zeros(8000, audio.dtype)]), 16000, subtype="PCM_16")
    with_tail = _run(TINY, wav, *FIRE, "--verbose", "--tail-ms", "500")
    by_hand = _run(TINY, padded, *FIRE, "--verbose")
    assert with_tail.exit_code == 0 and with_tail.stdout == by_hand.stdout
    assert with_tail.stdout != _run(TINY, wav, *FIRE, "--verbose").stdout  # the tail added inferences


def test_a_short_file_without_detection_gets_a_hint(tmp_path):
    """A 1 s clip ends before the word has passed through the window: say so, and how to hear what follows."""
    clip = tmp_path / "short.wav"
    sf.write(clip, np.zeros(16000, np.int16), 16000, subtype="PCM_16")
    result = _run(TINY, clip)
    assert result.exit_code == 0 and not _detections(result.stdout)
    assert "short.wav: no detection in 1.00 s" in result.stderr and "--tail-ms" in result.stderr
    assert "note:" not in _run(TINY, clip, "--tail-ms", "1000").stderr

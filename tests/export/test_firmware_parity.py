"""Parity: the exported reference application, built on the host, against harken on the same audio.

For the quickstart-like and the small-CNN-like test models (two front ends), at two hops each:
(a) the int8 windows it dumps equal harken's streaming front end's (``run_device_loop`` keeps them),
(b) its uint8 scores equal harken's, run in the TFLM interpreter itself, at the same times,
(c) it prints the same detection lines at the same times as harken's device loop (``classify-audio``).
The stream is the golden front-end signals one after another (spoken words, noise, tones and the
edge cases: full-scale, DC, clipping), plus real Speech Commands clips when ../shared/data holds them.
Recognizer overrides (a low threshold, suppression <= 1 so that detections reset the front end)
make the untrained models fire. Skipped only when $HARKEN_TFLM_DIR is unset (see conftest.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import GOLDEN_FRONTEND

pytestmark = pytest.mark.slow

REAL_CLIPS = ("data", "speech_commands_dev")  # in ../shared beside the repository or above the TFLM tree
RATE_FOLDERS = {"quickstart": "16k", "small_cnn": "8k", "quickstart_activity": "16k"}


def _real_clips(tflm_dir: Path) -> Path | None:
    for shared in (Path(__file__).parents[2].parent / "shared", tflm_dir.parents[1]):
        if shared.joinpath(*REAL_CLIPS).is_dir():
            return shared.joinpath(*REAL_CLIPS)
    return None


def _stream(which: str, rate: int, real: Path | None) -> np.ndarray:
    """Every golden input of the model's rate, one after another, then real clips (16 kHz) if present."""
    parts = [sf.read(p, dtype="int16")[0] for p in sorted((GOLDEN_FRONTEND / "inputs" / RATE_FOLDERS[which]).glob("*.wav"))]
    if rate == 16000 and real is not None:
        for word in ("on", "off", "_unknown_"):
            parts += [sf.read(p, dtype="int16")[0] for p in sorted((real / word).glob("*.wav"))[:4]]
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def streams(firmware_models, tflm_dir, tmp_path_factory) -> dict[str, tuple[Path, np.ndarray]]:
    from harken.export.tflite import read_params

    root = tmp_path_factory.mktemp("streams")
    out = {}
    for which, model in firmware_models.items():
        rate = read_params(model)["fe.sample_rate_hz"]
        audio = _stream(which, rate, _real_clips(tflm_dir))
        sf.write(root / f"{which}.wav", audio, rate, subtype="PCM_16")
        out[which] = (root / f"{which}.wav", audio)
    return out


def _run_app(app: Path, wav: Path, tmp: Path, *options: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, int]:
    """(detection lines, times, scores, windows, arena bytes used) from the reference application."""
    proc = subprocess.run([str(app), "--dump-windows", str(tmp / "w.bin"), "--dump-scores", str(tmp / "s.csv"),
                           *options, str(wav)], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = np.loadtxt(tmp / "s.csv", delimiter=",", dtype=np.int64, ndmin=2)
    windows = np.fromfile(tmp / "w.bin", dtype=np.int8)
    arena = int(re.search(r"arena_used_bytes=(\d+)", proc.stderr).group(1))
    return proc.stdout.splitlines(), rows[:, 0], rows[:, 1:], windows, arena


def _classify_audio(model: Path, wav: Path, *options: str) -> list[str]:
    """The detection lines `harken classify-audio` prints for one wav (the app's options are its options)."""
    proc = subprocess.run([sys.executable, "-m", "harken", "classify-audio", str(model), str(wav), *options],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line.startswith("Detected ")]


CASES = [  # (model, hop_ms or None for the default, app options, RecognizerSettings overrides + volume_gain)
    ("quickstart", None, (), {}),
    ("quickstart", 30, ("--threshold", "140", "--count", "1"), {"detection_threshold": 140, "minimum_count": 1,
                                                                 "detection_threshold_list": None}),
    ("quickstart", 70, ("--threshold", "120", "--suppression", "0", "--count", "0"),
     {"detection_threshold": 120, "suppression_ms": 0, "minimum_count": 0, "detection_threshold_list": None}),
    ("small_cnn", None, ("--threshold", "60"), {"detection_threshold": 60}),
    ("small_cnn", 50, ("--threshold", "50", "--suppression", "1", "--window", "500"),
     {"detection_threshold": 50, "suppression_ms": 1, "average_window_duration_ms": 500}),
    ("quickstart", 50, ("--volume", "3", "--threshold", "150"),
     {"volume_gain": 3, "detection_threshold": 150, "detection_threshold_list": None}),
    ("quickstart_activity", 40, ("--threshold", "130", "--count", "1"),
     {"detection_threshold": 130, "minimum_count": 1, "detection_threshold_list": None}),
]


@pytest.mark.parametrize("which,hop_ms,options,overrides", CASES,
                         ids=[f"{c[0]}-hop{c[1] or 'default'}-{i}" for i, c in enumerate(CASES)])
def test_reference_app_equals_harken(which, hop_ms, options, overrides, firmware_models, firmware_apps,
                                     firmware_exports, streams, tmp_path):  # fmt: skip
    import dataclasses

    from harken.streaming.loop import run_device_loop
    from harken.streaming.model import load_stream_model

    wav, audio = streams[which]
    model = load_stream_model(firmware_models[which], interpreter="tflm")
    changes = {k: v for k, v in overrides.items() if k != "volume_gain"}
    recognizer = dataclasses.replace(model.recognizer, **changes)
    hop = hop_ms or model.hop_ms
    expected = run_device_loop(model, audio, hop_ms=hop, recognizer=recognizer, keep_windows=True,
                               volume_gain=overrides.get("volume_gain"))  # fmt: skip
    lines, times, scores, windows, arena = _run_app(firmware_apps[which], wav, tmp_path, "--hop-ms", str(hop), *options)
    # (a) the int8 windows
    assert windows.size == expected.scores.windows.size
    assert np.array_equal(windows.reshape(expected.scores.windows.shape), expected.scores.windows)
    # (b) the scores, at the same times
    assert np.array_equal(times, expected.scores.times_ms)
    assert np.array_equal(scores, expected.scores.scores)
    # (c) the detections: harken's device loop's, and what `harken classify-audio` prints
    assert lines == [d.line() for d in expected.detections]
    assert lines == _classify_audio(firmware_models[which], wav, "--hop-ms", str(hop), *options)
    if which == "quickstart_activity":  # the model ran on some hops only
        assert 0 < len(times) < len(audio) * 1000 // (hop * model.frontend.sample_rate_hz)
    if overrides:
        assert expected.detections, "the case is meant to fire: lower its threshold"
    # the arena the settings header declares is enough (TFLM on this 64-bit host used less than measured)
    assert arena <= firmware_exports[which].model.arena_measured

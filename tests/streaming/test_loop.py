"""The device loop: one persistent front end, the last window per hop, the model, the recognizer.

The model is the stored SL_PARAMSv1 fixture (a tiny int8 CNN, 98x104 in, on/off/_unknown_, random
weights); the clips are golden front-end inputs.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from harken.audio.io import fit_length, read_audio
from harken.errors import SettingsError
from harken.frontend import compute_raw_spectrograms, convert_output
from harken.streaming.loop import apply_volume_gain, hop_ends, run_device_loop
from harken.streaming.model import load_stream_model
from harken.streaming.recognizer import RecognizerSettings
from tests.conftest import DATA, GOLDEN_FRONTEND

TINY = DATA / "params" / "tiny_with_params.tflite"
CLIPS = GOLDEN_FRONTEND / "inputs" / "16k"
ON_FIRES = RecognizerSettings(minimum_count=0, detection_threshold_list=(0, 255, 255), suppression_ms=0)


@pytest.fixture(scope="module")
def model():
    return load_stream_model(TINY)


def clip(name: str) -> np.ndarray:
    return fit_length(read_audio(CLIPS / name, sample_rate_hz=16000)[0], 16000)


@pytest.fixture(scope="module")
def stream() -> np.ndarray:
    """3 s: 'on', then 'off', then white noise."""
    return np.concatenate([clip("on_enus-f3_s150.wav"), clip("off_enus-m3_s150.wav"), clip("white_noise_m30dbfs_rms.wav")])


def expected_window(model, audio: np.ndarray) -> np.ndarray:
    """The int8 window the device has after hearing ``audio`` from power-on: its last frames (zeros before)."""
    raw = compute_raw_spectrograms(audio[None], model.frontend)[0][-model.window_frames:]
    padded = np.zeros((model.window_frames, raw.shape[1]), np.uint16)
    padded[model.window_frames - len(raw):] = raw
    return convert_output(padded, model.frontend, "int8")


def test_a_clip_at_the_start_gives_the_first_window_scores_of_evaluate(model, stream):
    from harken.evaluation.scoring import score_clips
    from harken.runtime.clip_model import load_clip_model

    scored = score_clips(load_clip_model(TINY), [str(CLIPS / "on_enus-f3_s150.wav")], ["on"])  # tflm
    for hop_ms, index in ((1000, 0), (250, 3)):  # the hop that ends at 1000 ms
        result = run_device_loop(model, stream, hop_ms=hop_ms)
        assert result.scores.times_ms[index] == 1000
        assert np.array_equal(result.scores.scores[index], scored.scores[0])


def test_every_hop_scores_the_last_window_scaled_over_that_window(model, stream):
    result = run_device_loop(model, stream, hop_ms=330, keep_windows=True)
    ends, _ = hop_ends(len(stream), 330, 16000)
    assert result.scores.times_ms.tolist() == [330 * k for k in range(1, 10)]
    for window, end in zip(result.scores.windows, ends):
        assert np.array_equal(window, expected_window(model, stream[:end]))
    assert np.array_equal(result.scores.scores, model.scores(result.scores.windows))


def test_the_recognizer_sees_every_hops_scores_at_the_hops_end(model, stream):
    from harken.streaming.recognizer import recognize

    settings = RecognizerSettings(minimum_count=2, average_window_duration_ms=300, detection_threshold=86,
                                  suppression_ms=400)  # fmt: skip
    result = run_device_loop(model, stream, hop_ms=50, recognizer=settings)
    assert result.detections  # the random model's scores do cross 86
    assert result.detections == recognize(result.scores.scores, result.scores.times_ms, settings, model.classes)


def test_a_detection_resets_the_front_end_when_suppression_is_at_most_1_ms(model, stream):
    result = run_device_loop(model, stream, hop_ms=200, recognizer=ON_FIRES, keep_windows=True)
    ends, _ = hop_ends(len(stream), 200, 16000)
    fired = {d.time_ms for d in result.detections}
    assert 0 < len(fired) < len(ends)  # hops whose top class is not 'on' do not fire, nor reset
    start = 0
    for window, end, now in zip(result.scores.windows, ends, result.scores.times_ms):
        assert np.array_equal(window, expected_window(model, stream[start:end]))  # heard since the last reset
        if now in fired:
            start = end
    kept = run_device_loop(model, stream, hop_ms=200, keep_windows=True,
                           recognizer=dataclasses.replace(ON_FIRES, suppression_ms=2))
    assert not np.array_equal(kept.scores.windows, result.scores.windows)  # 2 ms: no reset


def test_volume_gain_wraps_around_like_int16_arithmetic():
    audio = np.array([100, 16384, -16385, 32767, -32768], np.int16)
    assert apply_volume_gain(audio, 2).tolist() == [200, -32768, 32766, -2, 0]
    assert apply_volume_gain(audio, 2, saturate=True).tolist() == [200, 32767, -32768, 32767, -32768]
    assert apply_volume_gain(audio, 1) is audio and apply_volume_gain(audio, 0) is audio


def test_the_loop_applies_the_volume_gain_before_the_front_end(model, stream):
    gained = run_device_loop(model, stream, hop_ms=500, volume_gain=3, keep_windows=True)
    by_hand = run_device_loop(model, apply_volume_gain(stream, 3), hop_ms=500, volume_gain=0, keep_windows=True)
    plain = run_device_loop(model, stream, hop_ms=500, volume_gain=0, keep_windows=True)
    assert np.array_equal(gained.scores.windows, by_hand.scores.windows)
    assert not np.array_equal(gained.scores.windows, plain.scores.windows)
    saturated = run_device_loop(model, stream, hop_ms=500, volume_gain=3, saturate=True, keep_windows=True)
    clipped = np.clip(stream.astype(np.int64) * 3, -32768, 32767).astype(np.int16)
    assert np.array_equal(saturated.scores.windows,
                          run_device_loop(model, clipped, hop_ms=500, keep_windows=True).scores.windows)


def test_with_activity_detection_the_model_runs_only_on_activity(model):
    active = dataclasses.replace(model, frontend=model.frontend.replace(activity_detection_enable=True))
    quiet = np.zeros(32000, np.int16)
    assert len(run_device_loop(active, quiet, hop_ms=100).scores.times_ms) == 0
    audio = np.concatenate([quiet, clip("on_enus-f3_s150.wav"), quiet])
    times = run_device_loop(active, audio, hop_ms=100).scores.times_ms
    assert 0 < len(times) < len(audio) // 1600
    assert times.min() > 2000  # nothing before the word
    assert len(run_device_loop(model, audio, hop_ms=100).scores.times_ms) == len(audio) // 1600


def test_hops_end_on_whole_samples_and_a_last_partial_hop_is_not_run():
    ends, times = hop_ends(16000, 300, 16000)
    assert times.tolist() == [300, 600, 900] and ends.tolist() == [4800, 9600, 14400]
    ends, times = hop_ends(11025 * 2, 1000, 11025)
    assert ends.tolist() == [11025, 22050]
    with pytest.raises(SettingsError, match="hop_ms=0"):
        hop_ends(16000, 0, 16000)


def test_the_default_hop_is_the_estimated_inference_time_plus_latency(model):
    from harken.profile.report import profile_model

    seconds = profile_model(TINY.read_bytes(), target="cortex-m33").time_s  # what `harken profile` prints
    assert model.latency_ms == 10
    assert model.hop_ms == math.ceil(seconds * 1000) + 10
    short = np.zeros(16000, np.int16)
    assert run_device_loop(model, short).scores.times_ms[0] == model.hop_ms


def test_the_model_carries_its_embedded_settings(model):
    assert model.classes == ("on", "off", "_unknown_")
    assert model.recognizer.detection_threshold_list == (242, 242, 255)
    assert (model.recognizer.minimum_count, model.recognizer.suppression_ms) == (2, 700)
    assert model.volume_gain == 0 and model.window_frames == 98


@pytest.mark.parametrize("chunk", [1, 160, 1234, 7000])
def test_pushing_chunks_of_any_size_gives_the_whole_stream_result(model, stream, chunk):
    from harken.streaming.loop import DeviceLoop

    whole = run_device_loop(model, stream, hop_ms=70, recognizer=ON_FIRES, keep_windows=True)
    loop = DeviceLoop(model, hop_ms=70, recognizer=ON_FIRES, keep_windows=True, keep_audio=True)
    runs = [run for start in range(0, len(stream), chunk) for run in loop.push(stream[start : start + chunk])]
    result = loop.result()
    assert np.array_equal(result.scores.windows, whole.scores.windows)
    assert result.detections == whole.detections == [r.detection for r in runs if r.detection is not None]
    assert [r.time_ms for r in runs] == result.scores.times_ms.tolist()
    assert np.array_equal(loop.heard(), stream)


def test_the_loop_runs_the_microcontroller_interpreter_by_default(model, stream):
    assert model.runner.interpreter == "tflm"
    litert = load_stream_model(TINY, interpreter="litert")
    windows = run_device_loop(model, stream, hop_ms=300, keep_windows=True).scores.windows
    assert np.array_equal(litert.scores(windows), model.scores(windows))  # this small CNN: the same outputs


def test_progress_reports_the_samples_done(model, stream):
    calls = []
    run_device_loop(model, stream, hop_ms=20, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (len(stream), len(stream)) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len(calls) == 3  # 64 hops of 320 samples a call: 20480 samples


def test_the_first_window_scores_equal_harken_evaluates_predictions(model, stream, tmp_path):
    import csv

    import soundfile as sf
    import typer
    from typer.testing import CliRunner

    from harken.cli.evaluate import register

    (tmp_path / "data" / "on").mkdir(parents=True)
    sf.write(tmp_path / "data" / "on" / "spk_nohash_0.wav", stream[:16000], 16000, subtype="PCM_16")
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["evaluate", str(TINY), "--dataset", str(tmp_path / "data"), "--out",
                                      str(tmp_path), "-q", "--no-plots"], catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0
    row = next(csv.DictReader(open(tmp_path / "eval-predictions.csv")))
    evaluated = [int(row[f"score_{c}"]) for c in model.classes]
    assert run_device_loop(model, stream, hop_ms=1000).scores.scores[0].tolist() == evaluated


def test_settings_that_can_never_fire_at_the_hop_are_warned_about(model, stream, caplog):
    never = RecognizerSettings(average_window_duration_ms=300, minimum_count=2, detection_threshold_list=(0, 0, 255))
    with caplog.at_level("WARNING", logger="harken.streaming.loop"):
        result = run_device_loop(model, stream, hop_ms=505, recognizer=never)
    assert result.detections == [] and "minimum_count 2 is never met" in caplog.text and "505 ms hop" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="harken.streaming.loop"):
        result = run_device_loop(model, stream, hop_ms=300, recognizer=never)
    assert result.detections and "never met" not in caplog.text

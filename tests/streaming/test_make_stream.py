"""``make_stream`` and ``harken datasets stream``: words placed in a background, labelled by their real extent."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from harken.cli.datasets import app
from harken.datasets.noise import rms_dbfs
from harken.errors import DatasetError, SettingsError
from harken.streaming.labels import read_labels
from harken.streaming.make_stream import StreamSettings, make_stream, word_extent
from tests.streaming.streams import BURST, RATE, burst_clip, make_word_folder

SETTINGS = dict(minutes=0.5, sample_rate_hz=RATE, min_gap_ms=1000, max_gap_ms=1500)


@pytest.fixture
def words(tmp_path):
    return make_word_folder(tmp_path / "words")


def test_word_extent_finds_the_burst_not_the_clip():
    start, stop = word_extent(burst_clip(500.0, np.random.default_rng(0)), RATE)
    assert abs(start / RATE - BURST[0]) <= 0.011 and abs(stop / RATE - BURST[1]) <= 0.011


def test_word_extent_of_a_clip_without_a_word_is_the_whole_clip():
    assert word_extent(np.random.default_rng(0).standard_normal(RATE).astype(np.float32), RATE) == (0, RATE)


def test_stream_labels_are_the_words_extents_with_their_words(words, tmp_path):
    made = make_stream(words, tmp_path / "s.wav", StreamSettings(**SETTINGS, min_snr_db=20.0, max_snr_db=20.0))
    audio, rate = sf.read(tmp_path / "s.wav", dtype="float32")
    assert rate == RATE and audio.size == 30 * RATE and made.duration_s == 30.0
    every = read_labels(made.labels_csv, duration_s=30.0, classes=["on", "off"])
    assert len(every) == len(made.labels) == sum(made.counts.values())
    labels = [x for x in every if x.label != "_silence_"]
    assert len(labels) == made.counts["on"] + made.counts["off"] + made.counts["_unknown_"] >= 8
    assert {x.label for x in labels} == {"on", "off", "_unknown_"}
    assert {x.extra["word"] for x in labels if x.label == "_unknown_"} <= {"bed", "cat"}
    for label in labels:
        assert label.end_s - label.start_s == pytest.approx(BURST[1] - BURST[0], abs=0.021)
        inside = audio[int(label.start_s * RATE) + 80 : int(label.end_s * RATE) - 80]
        assert rms_dbfs(inside) > -45.0 + 15.0  # the burst is there, 20 dB above the background
        assert float(label.extra["snr_db"]) == pytest.approx(20.0, abs=0.1)
    gaps = [b.start_s - a.end_s for a, b in zip(labels, labels[1:])]
    assert min(gaps) >= 1.0 + BURST[0] - 0.02  # min_gap_ms after each word's end, plus the next clip's lead-in
    recipe = json.loads(made.recipe_json.read_text())
    assert recipe["settings"]["seed"] == 0 and recipe["counts"] == made.counts and recipe["num_labels"] == len(every)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_another_stream(words, tmp_path):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        make_stream(words, tmp_path / f"{name}.wav", StreamSettings(**SETTINGS, seed=seed, reverb=0.5, num_rooms=2))
    read = lambda n: (tmp_path / f"{n}.wav").read_bytes() + (tmp_path / f"{n}.csv").read_bytes()  # noqa: E731
    assert read("a") == read("b") and read("a") != read("c")
    assert "1" in {x.extra["reverb"] for x in read_labels(tmp_path / "a.csv")}


def test_keywords_option_makes_other_folders_unknown_words(words, tmp_path):
    made = make_stream(words, tmp_path / "s.wav", StreamSettings(**SETTINGS, keywords=("on",), keyword_share=0.3))
    off = [x for x in made.labels if x.extra["source"].startswith("off/")]
    assert off and all(x.label == "_unknown_" and x.extra["word"] == "off" for x in off)
    assert "off" not in made.counts


def test_silence_clips_are_labelled_silence_over_the_whole_clip(words, tmp_path):
    made = make_stream(words, tmp_path / "s.wav", StreamSettings(**SETTINGS, keyword_share=0.0, silence_share=1.0))
    labels = read_labels(made.labels_csv)
    assert made.counts["_silence_"] == len(labels) >= 8 and {x.label for x in labels} == {"_silence_"}
    assert all(x.end_s - x.start_s == pytest.approx(1.0) and x.extra["source"].startswith("_silence_/") for x in labels)


def test_background_recordings_replace_the_generated_noise(words, tmp_path):
    (tmp_path / "noise").mkdir()
    hum = 0.1 * np.sin(2 * np.pi * 50 * np.arange(3 * RATE) / RATE)
    sf.write(tmp_path / "noise" / "hum.wav", hum.astype(np.float32), RATE, subtype="PCM_16")
    settings = StreamSettings(**{**SETTINGS, "minutes": 0.1}, keyword_share=0.0, silence_share=0.0)
    make_stream(words, tmp_path / "s.wav", settings, background=tmp_path / "noise")
    audio, _ = sf.read(tmp_path / "s.wav", dtype="float32")
    spectrum = np.abs(np.fft.rfft(audio[: 2 * RATE]))
    assert np.argmax(spectrum) == 100  # 50 Hz in a 2 s window: the recording, not coloured noise


def test_progress_reaches_the_stream_length(words, tmp_path):
    seen = []
    make_stream(words, tmp_path / "s.wav", StreamSettings(**SETTINGS), progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][1] == 30 and all(a[0] <= b[0] <= 30 for a, b in zip(seen, seen[1:]))


def test_bad_dataset_and_settings_are_one_line_errors(words, tmp_path):
    with pytest.raises(DatasetError, match=r"nowhere: no such dataset folder"):
        make_stream(tmp_path / "nowhere", tmp_path / "s.wav")
    with pytest.raises(DatasetError, match=r"no keyword folder yes"):
        make_stream(words, tmp_path / "s.wav", StreamSettings(**SETTINGS, keywords=("yes",)))
    with pytest.raises(SettingsError, match=r"s\.mp3: the stream is written as a wav"):
        make_stream(words, tmp_path / "s.mp3")
    with pytest.raises(SettingsError, match=r"min_snr_db=20.0 > max_snr_db=5.0"):
        StreamSettings(min_snr_db=20.0, max_snr_db=5.0)
    with pytest.raises(SettingsError, match=r"keyword_share=0.8 \+ silence_share=0.5 > 1"):
        StreamSettings(keyword_share=0.8, silence_share=0.5)
    assert not (tmp_path / "s.wav").exists()


def test_unreadable_clips_are_skipped(words, tmp_path):
    (words / "on" / "spk9_nohash_0.wav").write_bytes(b"RIFF....WAVEjunk")
    made = make_stream(words, tmp_path / "s.wav", StreamSettings(**SETTINGS))
    assert made.counts["on"] > 0 and all("spk9" not in x.extra["source"] for x in made.labels)


def test_settings_round_trip():
    settings = StreamSettings(minutes=3.0, keywords=("on",), seed=4)
    assert StreamSettings.from_dict(settings.to_dict()) == settings


def test_datasets_stream_command_writes_the_stream_and_prints_json(words, tmp_path):
    result = CliRunner().invoke(app, ["stream", "--dataset", str(words), "--minutes", "0.2", "--sample-rate", "8000",
                                      "--out", str(tmp_path / "s.wav"), "--snr-db", "10,12", "--gap-ms", "1000,1200",
                                      "--seed", "3", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["duration_s"] == 12.0 and summary["labels"] == str(tmp_path / "s.csv")
    snrs = [float(x.extra["snr_db"]) for x in read_labels(tmp_path / "s.csv")]
    assert snrs and all(10.0 <= s <= 12.0 for s in snrs)


def test_datasets_stream_command_rejects_a_bad_range(words, tmp_path):
    result = CliRunner().invoke(app, ["stream", "--dataset", str(words), "--snr-db", "a,b", "--out", str(tmp_path / "s.wav")])
    assert result.exit_code != 0 and "--snr-db='a,b': give LOW,HIGH" in str(result.exception)


def test_datasets_stream_command_prints_a_summary(words, tmp_path):
    result = CliRunner().invoke(app, ["stream", "-d", str(words), "--minutes", "0.2", "--sample-rate", "8000",
                                      "-o", str(tmp_path / "s.wav"), "--gap-ms", "1000,1200"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0.2 min, " in result.stdout and f"-> {tmp_path / 's.wav'}, {tmp_path / 's.csv'}" in result.stdout

"""WaveformAugmenter, cropped known, silence and SpecAugment: the samples the pipeline gets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import (
    AugmentationSettings,
    WaveformAugmenter,
    make_silence,
    spec_augment,
)
from harken.augment.noise_mix import mean_square
from harken.errors import AudioError, SettingsError

SR = 16000
LENGTH, WINDOW = 32000, 16000
OFF = {"p_speed": 0.0, "p_pitch": 0.0, "p_gain": 0.0, "p_reverb": 0.0, "p_noise": 0.0, "p_mic_floor": 0.0}


def word_clip(seed: int = 0) -> np.ndarray:
    """0.1 s quiet, a 0.6 s 'word' (harmonics under an envelope), 0.1 s quiet."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.6 * SR)) / SR
    voiced = sum(np.sin(2 * np.pi * k * rng.uniform(110, 180) * t) / k for k in range(1, 12))
    word = 0.4 * voiced / np.max(np.abs(voiced)) * np.sin(np.pi * t / 0.6)
    pad = np.zeros(int(0.1 * SR))
    return np.concatenate([pad, word, pad]).astype(np.float32)


def rirs(n: int = 4) -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    out = []
    for _ in range(n):
        r = rng.standard_normal(3000) * np.exp(-np.arange(3000) / 400.0)
        r[0] = 4.0
        out.append((r / np.sqrt(np.sum(r**2))).astype(np.float32))
    return out


@pytest.fixture(scope="module")
def augmenter() -> WaveformAugmenter:
    return WaveformAugmenter(AugmentationSettings(), sample_rate_hz=SR, rirs=rirs())


def test_sample_has_the_length_dtype_and_range(augmenter):
    for i in range(20):
        x, _log = augmenter(word_clip(i), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(i))
        assert x.shape == (LENGTH,) and x.dtype == np.float32
        assert x.min() >= -1.0 and x.max() < 1.0


def test_loud_mix_is_clipped_below_full_scale():
    s = AugmentationSettings(**{**OFF, "p_gain": 1.0, "min_peak_dbfs": -0.1, "max_peak_dbfs": -0.1, "p_noise": 1.0,
                                "min_snr_db": -10.0, "max_snr_db": -10.0})  # fmt: skip
    x, _ = WaveformAugmenter(s, sample_rate_hz=SR)(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(0))
    assert x.max() == np.float32(32767 / 32768) and x.min() >= -1.0


@given(index=st.integers(0, 10_000))
@settings(max_examples=15, deadline=None)
def test_same_seed_gives_the_same_sample_and_another_index_another(augmenter, index):
    word = word_clip(1)
    a, log_a = augmenter(word, length=LENGTH, window_length=WINDOW, rng=np.random.default_rng([7, index]))
    b, log_b = augmenter(word, length=LENGTH, window_length=WINDOW, rng=np.random.default_rng([7, index]))
    c, _ = augmenter(word, length=LENGTH, window_length=WINDOW, rng=np.random.default_rng([7, index + 1]))
    assert np.array_equal(a, b) and log_a == log_b
    assert not np.array_equal(a, c)


def test_separate_augmenters_give_the_same_sample():
    s = AugmentationSettings()
    a, _ = WaveformAugmenter(s, sample_rate_hz=SR, rirs=rirs())(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(3))
    b, _ = WaveformAugmenter(s, sample_rate_hz=SR, rirs=rirs())(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(3))
    assert np.array_equal(a, b)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_speech_lies_in_the_window_and_the_warm_up_has_none(seed):
    s = AugmentationSettings(**{**OFF, "p_speed": 0.8, "p_pitch": 0.5, "p_gain": 1.0})
    x, log = WaveformAugmenter(s, sample_rate_hz=SR)(word_clip(seed % 5), length=LENGTH, window_length=WINDOW,
                                                       rng=np.random.default_rng(seed))  # fmt: skip
    assert not x[: LENGTH - WINDOW].any()
    place = next(p for p in log if p["name"] == "placement")
    assert LENGTH - WINDOW <= place["offset"] and place["offset"] + place["num_samples"] <= LENGTH
    nz = np.flatnonzero(x)
    assert place["offset"] <= nz[0] and nz[-1] < place["offset"] + place["num_samples"]


def test_warm_up_holds_noise_and_floor():
    s = AugmentationSettings(**{**OFF, "p_noise": 1.0, "p_mic_floor": 1.0})
    x, _ = WaveformAugmenter(s, sample_rate_hz=SR)(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(0))
    assert np.count_nonzero(x[: LENGTH - WINDOW]) == LENGTH - WINDOW


def test_trimmed_word_is_placed_unchanged_when_everything_else_is_off():
    x, log = WaveformAugmenter(AugmentationSettings(**OFF), sample_rate_hz=SR)(
        word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(0))  # fmt: skip
    trim, place = log[0], log[1]
    word = word_clip()[trim["start"] : trim["stop"]]
    assert np.array_equal(x[place["offset"] : place["offset"] + word.size], word)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_augmenter_noise_snr_is_within_range(seed):
    """Noise on vs off with the same rng: the other draws stay the same, so the difference is the noise."""
    base = {"p_speed": 0.8, "p_pitch": 0.5, "p_gain": 1.0, "max_peak_dbfs": -12.0, "p_reverb": 0.5, "p_mic_floor": 0.0}
    with_noise = WaveformAugmenter(AugmentationSettings(**base, p_noise=1.0), sample_rate_hz=SR, rirs=rirs())
    without = WaveformAugmenter(AugmentationSettings(**base, p_noise=0.0), sample_rate_hz=SR, rirs=rirs())
    x, log = with_noise(word_clip(seed % 5), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(seed))
    clean, _ = without(word_clip(seed % 5), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(seed))
    place = next(p for p in log if p["name"] == "placement")
    span = slice(place["offset"], place["offset"] + place["num_samples"])
    snr = 10 * np.log10(mean_square(clean[span]) / mean_square((x - clean)[span]))
    drawn = next(p for p in log if p["name"] == "background_noise")["snr_db"]
    assert snr == pytest.approx(drawn, abs=0.05)
    assert 5.0 - 0.05 <= snr <= 30.0 + 0.05


def test_recorded_noise_clips_are_used():
    hum = (0.1 * np.sin(2 * np.pi * 1234.0 * np.arange(3 * SR) / SR)).astype(np.float32)
    s = AugmentationSettings(**{**OFF, "p_noise": 1.0})
    x, log = WaveformAugmenter(s, sample_rate_hz=SR, noise_clips=[hum])(word_clip(), length=LENGTH, window_length=WINDOW,
                                                                         rng=np.random.default_rng(0))  # fmt: skip
    warm_up = x[: LENGTH - WINDOW]
    peak_hz = np.argmax(np.abs(np.fft.rfft(warm_up))) * SR / warm_up.size
    assert peak_hz == pytest.approx(1234.0, abs=2.0)
    assert next(p for p in log if p["name"] == "background_noise")["clip_index"] == 0


def test_speed_in_the_chain_changes_the_word_length_by_the_factor():
    s = AugmentationSettings(**{**OFF, "p_speed": 1.0, "min_speed_factor": 1.15, "max_speed_factor": 1.15})
    _, log = WaveformAugmenter(s, sample_rate_hz=SR)(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(0))
    trimmed = log[0]["stop"] - log[0]["start"]
    place = next(p for p in log if p["name"] == "placement")
    assert place["num_samples"] == round(trimmed / 1.15)


def test_params_are_logged_as_plain_json(augmenter):
    _, log = augmenter(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(11))
    assert json.loads(json.dumps(log)) == log
    names = [p["name"] for p in log]
    assert names[0] == "trim" and "placement" in names
    assert all(p["applied"] for p in log)


def test_reverb_is_logged_when_applied():
    s = AugmentationSettings(**{**OFF, "p_reverb": 1.0})
    _, log = WaveformAugmenter(s, sample_rate_hz=SR, rirs=rirs())(word_clip(), length=LENGTH, window_length=WINDOW,
                                                                  rng=np.random.default_rng(0))  # fmt: skip
    assert [p["name"] for p in log][-1] == "reverb"


def test_int16_input_is_accepted(augmenter):
    pcm = (word_clip() * 32768).astype(np.int16)
    x, _ = augmenter(pcm, length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(0))
    assert x.dtype == np.float32 and x.size == LENGTH


def test_bad_audio_is_rejected(augmenter):
    with pytest.raises(AudioError, match="audio"):
        augmenter(np.zeros((2, 100), np.float32), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(0))


def test_bad_lengths_are_rejected(augmenter):
    with pytest.raises(SettingsError, match="window_length=20000"):
        augmenter(word_clip(), length=16000, window_length=20000, rng=np.random.default_rng(0))


def test_bad_noise_clip_is_rejected():
    with pytest.raises(AudioError, match=r"noise_clips\[1\]"):
        WaveformAugmenter(AugmentationSettings(), sample_rate_hz=SR, noise_clips=[np.ones(10, np.float32), np.array([np.nan])])


# ---- cropped known
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_cropped_known_sits_at_the_end_of_the_window(seed):
    s = AugmentationSettings(**{**OFF, "p_speed": 0.8, "p_pitch": 0.5, "p_gain": 1.0})
    x, log = WaveformAugmenter(s, sample_rate_hz=SR).cropped_known(word_clip(seed % 5), length=LENGTH, window_length=WINDOW,
                                                                    rng=np.random.default_rng(seed))  # fmt: skip
    crop = next(p for p in log if p["name"] == "cropped_known")
    assert crop["offset"] + crop["num_samples"] == LENGTH
    assert 0.2 <= crop["fraction"] <= 0.5
    nz = np.flatnonzero(x)
    assert nz[0] >= crop["offset"] and nz[-1] >= LENGTH - 10


def test_cropped_known_is_the_start_of_the_trimmed_word():
    x, log = WaveformAugmenter(AugmentationSettings(**OFF), sample_rate_hz=SR).cropped_known(
        word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(0))  # fmt: skip
    trim, crop = log[0], log[1]
    word = word_clip()[trim["start"] : trim["stop"]]
    assert np.array_equal(x[crop["offset"] :], word[: crop["num_samples"]])
    assert crop["num_samples"] == pytest.approx(crop["fraction"] * word.size, abs=1)


def test_cropped_known_is_reproducible(augmenter):
    a, _ = augmenter.cropped_known(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(9))
    b, _ = augmenter.cropped_known(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(9))
    assert np.array_equal(a, b)


# ---- truncated known
def test_truncated_known_is_the_start_of_the_trimmed_word_placed_inside_the_window():
    x, log = WaveformAugmenter(AugmentationSettings(**OFF), sample_rate_hz=SR).truncated_known(
        word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(0))  # fmt: skip
    trim, cut, place = log[0], log[1], log[2]
    assert (cut["name"], place["name"]) == ("truncated_known", "placement")
    assert 0.25 <= cut["fraction"] <= 0.5
    word = word_clip()[trim["start"] : trim["stop"]]
    kept = word[: cut["num_samples"]]
    assert np.array_equal(x[place["offset"] : place["offset"] + kept.size], kept)
    assert not x[place["offset"] + kept.size :].any()  # the ending is gone, silence follows
    assert LENGTH - WINDOW <= place["offset"] and place["offset"] + kept.size <= LENGTH


def test_truncated_known_is_reproducible(augmenter):
    a, _ = augmenter.truncated_known(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(9))
    b, _ = augmenter.truncated_known(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(9))
    assert np.array_equal(a, b)


# ---- silence
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_silence_is_quiet_noise_within_the_level_ranges(seed):
    s = AugmentationSettings(p_silence_noise=1.0, min_silence_noise_dbfs=-70.0, max_silence_noise_dbfs=-40.0, p_mic_floor=0.0)
    x, log = make_silence(LENGTH, rng=np.random.default_rng(seed), sample_rate_hz=SR, settings=s)
    assert x.shape == (LENGTH,) and x.dtype == np.float32
    level = 10 * np.log10(mean_square(x))
    assert level == pytest.approx(log[0]["level_dbfs"], abs=0.01)
    assert -70.01 <= level <= -39.99


def test_silence_without_noise_is_the_mic_floor_only():
    s = AugmentationSettings(p_silence_noise=0.0, p_mic_floor=1.0)
    x, log = make_silence(LENGTH, rng=np.random.default_rng(0), sample_rate_hz=SR, settings=s)
    assert [p["name"] for p in log] == ["mic_floor"]
    assert -90.01 <= 10 * np.log10(mean_square(x)) <= -59.99


def test_silence_is_reproducible_and_matches_the_augmenter():
    s = AugmentationSettings()
    a, log_a = make_silence(LENGTH, rng=np.random.default_rng(4), sample_rate_hz=SR, settings=s)
    b, log_b = WaveformAugmenter(s, sample_rate_hz=SR).silence(LENGTH, rng=np.random.default_rng(4))
    c, _ = make_silence(LENGTH, rng=np.random.default_rng(5), sample_rate_hz=SR, settings=s)
    assert np.array_equal(a, b) and log_a == log_b
    assert not np.array_equal(a, c)


# ---- SpecAugment
def test_spec_augment_masks_with_the_minimum_and_returns_a_new_array():
    spec = np.full((98, 40), 50, np.int8)
    s = AugmentationSettings(p_time_mask=1.0, max_num_time_masks=1, max_time_mask_frames=10, p_freq_mask=0.0)
    y = spec_augment(spec, rng=np.random.default_rng(0), settings=s)
    assert y.dtype == np.int8 and y.shape == spec.shape and y is not spec
    assert np.all(spec == 50)
    masked_rows = np.flatnonzero(np.all(y == -128, axis=1))
    assert 1 <= masked_rows.size <= 10
    assert np.array_equal(masked_rows, np.arange(masked_rows[0], masked_rows[0] + masked_rows.size))
    assert np.all(y[np.all(y != -128, axis=1)] == 50)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_spec_augment_respects_counts_and_widths(seed):
    spec = np.zeros((98, 104), np.int8)
    s = AugmentationSettings(p_time_mask=1.0, max_num_time_masks=2, max_time_mask_frames=5,
                             p_freq_mask=1.0, max_num_freq_masks=2, max_freq_mask_channels=7)  # fmt: skip
    y = spec_augment(spec, rng=np.random.default_rng(seed), settings=s)
    rows = np.count_nonzero(np.all(y == -128, axis=1))
    cols = np.count_nonzero(np.all(y == -128, axis=0))
    assert 1 <= rows <= 2 * 5 and 1 <= cols <= 2 * 7


def test_spec_augment_with_p_zero_changes_nothing():
    spec = np.random.default_rng(0).integers(-128, 128, (98, 40)).astype(np.int8)
    s = AugmentationSettings(p_time_mask=0.0, p_freq_mask=0.0)
    assert np.array_equal(spec_augment(spec, rng=np.random.default_rng(0), settings=s), spec)


def test_spec_augment_is_reproducible():
    spec = np.zeros((98, 40), np.int8)
    s = AugmentationSettings(p_time_mask=1.0, p_freq_mask=1.0)
    a = spec_augment(spec, rng=np.random.default_rng(1), settings=s)
    assert np.array_equal(a, spec_augment(spec, rng=np.random.default_rng(1), settings=s))


def test_spec_augment_rejects_one_dimensional_input():
    with pytest.raises(AudioError, match="frames, channels"):
        spec_augment(np.zeros(10, np.int8), rng=np.random.default_rng(0), settings=AugmentationSettings())


def test_spec_augment_on_real_front_end_output():
    from harken.frontend import FrontendSettings, compute_spectrograms

    fe = FrontendSettings(quantize_dynamic_scale_enable=True)
    x, _ = WaveformAugmenter(AugmentationSettings(), sample_rate_hz=SR)(word_clip(), length=WINDOW, window_length=WINDOW,
                                                                       rng=np.random.default_rng(0))  # fmt: skip
    spec = compute_spectrograms(x[None, :], fe)[0]
    s = AugmentationSettings(p_time_mask=1.0, p_freq_mask=1.0)
    y = spec_augment(spec, rng=np.random.default_rng(0), settings=s)
    assert y.dtype == spec.dtype and y.shape == spec.shape and (y == -128).sum() > (spec == -128).sum()


def test_read_noise_folder_reads_every_clip_at_the_rate(tmp_path):
    from harken.audio.io import write_wav
    from harken.augment import read_noise_folder

    (tmp_path / "sub").mkdir()
    write_wav(tmp_path / "a.wav", np.full(800, 0.1, np.float32), 8000)
    write_wav(tmp_path / "sub" / "b.wav", np.full(1600, -0.1, np.float32), 16000)
    (tmp_path / "notes.txt").write_text("not audio")
    clips = read_noise_folder(tmp_path, sample_rate_hz=SR)
    assert [c.size for c in clips] == [1600, 1600]
    assert all(c.dtype == np.float32 for c in clips)


def test_read_noise_folder_rejects_a_folder_without_audio(tmp_path):
    from harken.augment import read_noise_folder
    from harken.errors import DatasetError

    with pytest.raises(DatasetError, match="no .wav"):
        read_noise_folder(tmp_path, sample_rate_hz=SR)


def test_all_zero_audio_warns(augmenter):
    with pytest.warns(UserWarning, match="all zeros"):
        x, _ = augmenter(np.zeros(8000, np.float32), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(0))
    assert x.shape == (LENGTH,)


def test_augmenter_pickles_for_worker_processes(augmenter):
    import pickle

    clone = pickle.loads(pickle.dumps(augmenter))
    a, _ = augmenter(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(2))
    b, _ = clone(word_clip(), length=LENGTH, window_length=WINDOW, rng=np.random.default_rng(2))
    assert np.array_equal(a, b)

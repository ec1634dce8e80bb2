"""Each waveform transform pins down its effect: levels, lengths, frequencies, positions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import (
    BackgroundNoise,
    CroppedKnown,
    Gain,
    MicFloor,
    PitchShift,
    Placement,
    Reverb,
    RirSet,
    Speed,
    generated_noise_clips,
    mic_floor_clip,
    trim_bounds,
    truncate_rir,
)
from harken.augment.noise_mix import mean_square
from harken.errors import SettingsError

SR = 16000


def sine(freq_hz: float, n: int, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * freq_hz * np.arange(n) / SR)).astype(np.float32)


def dominant_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    k = int(np.argmax(spectrum))
    # parabolic interpolation of the peak for sub-bin accuracy
    a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / x.size


def db(power_ratio: float) -> float:
    return 10.0 * np.log10(power_ratio)


# ---- gain
def test_gain_sets_the_peak_level():
    g = Gain(p=1.0, min_peak_dbfs=-12.0, max_peak_dbfs=-12.0)
    y = g.apply(sine(300, 1000, 0.01), g.sample(np.random.default_rng(0)), sample_rate_hz=SR)
    assert y.dtype == np.float32
    assert 20 * np.log10(np.max(np.abs(y))) == pytest.approx(-12.0, abs=1e-4)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_gain_peak_is_within_range(seed):
    g = Gain(p=1.0, min_peak_dbfs=-30.0, max_peak_dbfs=-1.0)
    y = g.apply(sine(300, 500), g.sample(np.random.default_rng(seed)), sample_rate_hz=SR)
    assert -30.0 - 1e-3 <= 20 * np.log10(np.max(np.abs(y))) <= -1.0 + 1e-3


def test_gain_with_p_zero_leaves_audio_alone():
    x = sine(300, 500)
    g = Gain(p=0.0)
    assert np.array_equal(g.apply(x, g.sample(np.random.default_rng(0)), sample_rate_hz=SR), x)


def test_gain_keeps_silence_silent():
    g = Gain(p=1.0)
    y = g.apply(np.zeros(100, np.float32), g.sample(np.random.default_rng(0)), sample_rate_hz=SR)
    assert not y.any()


def test_gain_rejects_min_above_max():
    with pytest.raises(SettingsError, match="min_peak_dbfs=-1"):
        Gain(min_peak_dbfs=-1.0, max_peak_dbfs=-10.0)


# ---- trim
def test_trim_finds_the_loud_part():
    x = np.zeros(16000, np.float32)
    x[3200:9600] = sine(200, 6400)
    b = trim_bounds(x + np.float32(1e-5), sample_rate_hz=SR, below_peak_db=40.0)
    assert (b.start, b.stop) == (3200, 9600)


def test_trim_keeps_an_all_zero_clip():
    b = trim_bounds(np.zeros(1000, np.float32), sample_rate_hz=SR)
    assert (b.applied, b.start, b.stop) == (False, 0, 1000)


def test_trim_rejects_non_positive_threshold():
    with pytest.raises(SettingsError, match="below_peak_db=0"):
        trim_bounds(np.ones(10, np.float32), sample_rate_hz=SR, below_peak_db=0)


# ---- speed
@pytest.mark.parametrize("factor", [0.85, 0.9, 1.1, 1.15])
def test_speed_changes_the_length_by_the_factor(factor):
    s = Speed(p=1.0, min_factor=factor, max_factor=factor)
    y = s.apply(sine(400, 8000), s.sample(np.random.default_rng(0)), sample_rate_hz=SR)
    assert y.dtype == np.float32
    assert y.size == round(8000 / factor)


def test_speed_scales_the_frequency_by_the_factor():
    s = Speed(p=1.0, min_factor=1.1, max_factor=1.1)
    y = s.apply(sine(400, 16000), s.sample(np.random.default_rng(0)), sample_rate_hz=SR)
    assert dominant_hz(y[1000:-1000]) == pytest.approx(440.0, rel=0.005)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_speed_factor_is_drawn_within_range(seed):
    prm = Speed(p=1.0, min_factor=0.87, max_factor=1.13).sample(np.random.default_rng(seed))
    assert 0.87 <= prm.factor <= 1.13


def test_speed_rejects_min_above_max():
    with pytest.raises(SettingsError, match="min_factor=1.2 > max_factor=0.9"):
        Speed(min_factor=1.2, max_factor=0.9)


# ---- pitch
@pytest.mark.parametrize("semitones", [-2.0, 1.5])
def test_pitch_shift_scales_frequency_and_keeps_length(semitones):
    t = PitchShift(p=1.0, min_semitones=semitones, max_semitones=semitones)
    x = sine(500, 16000)
    y = t.apply(x, t.sample(np.random.default_rng(0)), sample_rate_hz=SR)
    assert y.shape == x.shape and y.dtype == np.float32
    assert dominant_hz(y[2000:-2000]) == pytest.approx(500 * 2 ** (semitones / 12), rel=0.01)


def test_pitch_shift_of_zero_semitones_is_identity():
    t = PitchShift(p=1.0, min_semitones=0.0, max_semitones=0.0)
    x = sine(500, 4000)
    assert np.array_equal(t.apply(x, t.sample(np.random.default_rng(0)), sample_rate_hz=SR), x)


def test_pitch_shift_rejects_more_than_an_octave():
    with pytest.raises(SettingsError, match="max_semitones=13"):
        PitchShift(max_semitones=13.0)


# ---- placement
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20000))
@settings(max_examples=50, deadline=None)
def test_placement_puts_the_word_inside_the_window(seed, n):
    length, window = 32000, 16000
    word = np.ones(n, np.float32)
    t = Placement(p=1.0)
    prm = t.sample(np.random.default_rng(seed), num_samples=n, length=length, window_length=window)
    y = t.apply(word, prm, sample_rate_hz=SR, length=length)
    nz = np.flatnonzero(y)
    assert y.size == length
    assert nz[0] >= length - window and nz[-1] < length
    assert nz.size == min(n, window)


def test_placement_without_p_centres_the_word():
    prm = Placement(p=0.0).sample(np.random.default_rng(0), num_samples=1000, length=3000, window_length=2000)
    assert prm.offset == 1000 + 500


def test_placement_rejects_window_longer_than_buffer():
    with pytest.raises(SettingsError, match="window_length=2000"):
        Placement().sample(np.random.default_rng(0), num_samples=10, length=1000, window_length=2000)


# ---- reverb
def test_reverb_is_the_convolution_scaled_to_the_dry_peak():
    rng = np.random.default_rng(0)
    rir = (rng.standard_normal(800) * np.exp(-np.arange(800) / 100)).astype(np.float32)
    x = sine(300, 3000)
    bank = RirSet([rir])
    t = Reverb(p=1.0)
    y = t.apply(x, t.sample(rng, num_rirs=1), sample_rate_hz=SR, rirs=bank)
    expected = np.convolve(x.astype(np.float64), bank.rirs[0].astype(np.float64))
    expected *= np.max(np.abs(x)) / np.max(np.abs(expected))
    assert y.size == x.size + bank.rirs[0].size - 1
    np.testing.assert_allclose(y, expected, atol=1e-5)


def test_truncate_rir_cuts_the_tail_at_minus_60_db():
    t = np.arange(16000)
    rir = (np.exp(-t / 800.0) * np.where(t % 2, 1, -1)).astype(np.float32)
    cut = truncate_rir(rir, tail_db=60.0)
    rest = np.sum(rir[cut.size :].astype(np.float64) ** 2) / np.sum(rir.astype(np.float64) ** 2)
    assert db(rest) < -60.0
    assert cut.size < rir.size


def test_truncate_rir_rejects_all_zero_response():
    with pytest.raises(SettingsError, match="all zeros"):
        truncate_rir(np.zeros(10, np.float32))


# ---- background noise
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_noise_snr_over_the_speech_is_within_range(seed):
    rng = np.random.default_rng(seed)
    clips = generated_noise_clips(SR)
    buffer = np.zeros(24000, np.float32)
    buffer[10000:18000] = sine(rng.uniform(100, 3000), 8000, rng.uniform(0.01, 0.9))
    t = BackgroundNoise(p=1.0, min_snr_db=5.0, max_snr_db=30.0)
    prm = t.sample(rng, clip_lengths=[c.size for c in clips], length=buffer.size)
    y = t.apply(buffer, prm, sample_rate_hz=SR, noise_clip=clips[prm.clip_index], speech_span=(10000, 18000))
    noise = y - buffer
    measured = db(mean_square(buffer[10000:18000]) / mean_square(noise[10000:18000]))
    assert measured == pytest.approx(prm.snr_db, abs=0.01)
    assert 5.0 - 0.01 <= measured <= 30.0 + 0.01
    assert np.all(noise[:10000] != 0)  # the warm-up holds the same noise


def test_noise_loops_a_clip_shorter_than_the_buffer():
    clip = sine(1000, 700)
    t = BackgroundNoise(p=1.0, min_snr_db=0.0, max_snr_db=0.0)
    prm = t.sample(np.random.default_rng(0), clip_lengths=[clip.size], length=5000)
    buffer = np.zeros(5000, np.float32)
    buffer[2000:3000] = 0.5
    y = t.apply(buffer, prm, sample_rate_hz=SR, noise_clip=clip, speech_span=(2000, 3000))
    assert y.size == 5000 and np.count_nonzero(y[:2000]) > 1900


def test_noise_with_p_zero_adds_nothing():
    t = BackgroundNoise(p=0.0)
    prm = t.sample(np.random.default_rng(0), clip_lengths=[50000], length=1000)
    x = sine(300, 1000)
    assert t.apply(x, prm, sample_rate_hz=SR, noise_clip=np.ones(50000, np.float32), speech_span=(0, 1000)) is x


def test_noise_rejects_min_above_max():
    with pytest.raises(SettingsError, match="min_snr_db=30"):
        BackgroundNoise(min_snr_db=30.0, max_snr_db=5.0)


def test_generated_noise_clips_are_cached_and_read_only():
    a, b = generated_noise_clips(SR), generated_noise_clips(SR)
    assert a is b and not a[0].flags.writeable and a[0].dtype == np.float32


# ---- mic floor
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_mic_floor_level_is_absolute_and_in_range(seed):
    t = MicFloor(p=1.0, min_level_dbfs=-90.0, max_level_dbfs=-60.0)
    clip = mic_floor_clip(SR)
    prm = t.sample(np.random.default_rng(seed), clip_length=clip.size, length=16000)
    y = t.apply(np.zeros(16000, np.float32), prm, sample_rate_hz=SR, floor_clip=clip)
    assert db(mean_square(y)) == pytest.approx(prm.level_dbfs, abs=0.01)
    assert -90.01 <= db(mean_square(y)) <= -59.99


def test_mic_floor_does_not_depend_on_the_signal_level():
    t = MicFloor(p=1.0, min_level_dbfs=-70.0, max_level_dbfs=-70.0)
    clip = mic_floor_clip(SR)
    prm = t.sample(np.random.default_rng(0), clip_length=clip.size, length=8000)
    quiet, loud = sine(300, 8000, 0.001), sine(300, 8000, 0.9)
    added_quiet = t.apply(quiet, prm, sample_rate_hz=SR, floor_clip=clip) - quiet
    added_loud = t.apply(loud, prm, sample_rate_hz=SR, floor_clip=clip) - loud
    np.testing.assert_allclose(added_quiet, added_loud, atol=1e-6)


# ---- cropped known
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(10, 16000))
@settings(max_examples=50, deadline=None)
def test_cropped_known_keeps_the_start_and_ends_at_the_window_end(seed, n):
    length, window = 32000, 16000
    word = np.arange(1, n + 1, dtype=np.float32) / n
    t = CroppedKnown(min_fraction=0.2, max_fraction=0.5)
    prm = t.sample(np.random.default_rng(seed), num_samples=n, length=length, window_length=window)
    y = t.apply(word, prm, sample_rate_hz=SR, length=length)
    nz = np.flatnonzero(y)
    assert nz[-1] == length - 1  # ends at the end of the window
    assert np.array_equal(y[nz[0] :], word[: nz.size])  # the first part of the word
    assert 0.2 - 1.0 / n <= nz.size / n <= 0.5 + 1.0 / n


def test_cropped_known_rejects_fraction_above_one():
    with pytest.raises(SettingsError, match="max_fraction=1.5"):
        CroppedKnown(max_fraction=1.5)

"""Synthetic noise generators: spectra, levels, determinism and the cached bank."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from harken.datasets import noise
from harken.datasets.noise import (
    NOISE_KINDS,
    colored_noise,
    mains_hum,
    make_noise,
    mic_noise_floor,
    noise_bank,
    rms_dbfs,
)
from harken.errors import SettingsError


def spectral_slope(x: np.ndarray, rate: int = 16000) -> float:
    """Fitted exponent beta of power ~ f**-beta between 50 Hz and 5 kHz."""
    f, p = welch(x, fs=rate, nperseg=4096)
    band = (f > 50) & (f < 5000)
    return -np.polyfit(np.log10(f[band]), np.log10(p[band]), 1)[0]


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, -1.0])
def test_colored_noise_spectrum_has_the_requested_slope(exponent):
    x = colored_noise(16000 * 8, exponent=exponent, rng=np.random.default_rng(1))
    assert spectral_slope(x) == pytest.approx(exponent, abs=0.1)


def test_pink_noise_falls_3_db_per_octave():
    x = colored_noise(16000 * 8, exponent=1.0, rng=np.random.default_rng(2))
    f, p = welch(x, fs=16000, nperseg=4096)
    level = lambda lo: 10 * np.log10(p[(f >= lo) & (f < 2 * lo)].mean() / (np.log(2)))  # noqa: E731
    assert level(500) - level(1000) == pytest.approx(3.0, abs=0.6)


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_every_noise_kind_has_the_requested_rms_level(kind):
    x = make_noise(kind, 16000, rms_db=-37.5, rng=np.random.default_rng(0))
    assert x.dtype == np.float32 and x.shape == (16000,)
    assert rms_dbfs(x) == pytest.approx(-37.5, abs=0.01)


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_same_seed_gives_the_same_noise_and_another_seed_differs(kind):
    a = make_noise(kind, 4000, rng=np.random.default_rng([5, 1]))
    b = make_noise(kind, 4000, rng=np.random.default_rng([5, 1]))
    c = make_noise(kind, 4000, rng=np.random.default_rng([5, 2]))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("frequency_hz", [50.0, 60.0])
def test_mains_hum_energy_sits_on_the_mains_harmonics(frequency_hz):
    x = mains_hum(16000 * 4, frequency_hz=frequency_hz, rng=np.random.default_rng(0))
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / 16000)
    k = np.maximum(np.round(freqs / frequency_hz), 1)
    near_harmonic = np.abs(freqs - k * frequency_hz) < 0.006 * k * frequency_hz + 2.0  # grid drift +-0.5 %
    assert spectrum[near_harmonic].sum() / spectrum.sum() > 0.99
    assert freqs[np.argmax(spectrum)] == pytest.approx(frequency_hz, rel=0.01)


def test_mic_noise_floor_has_no_dc_or_rumble():
    x = mic_noise_floor(16000 * 4, rms_db=-70.0, rng=np.random.default_rng(0))
    f, p = welch(x, fs=16000, nperseg=4096)
    assert p[f < 5].mean() < 0.1 * p[(f > 200) & (f < 4000)].mean()
    assert rms_dbfs(x) == pytest.approx(-70.0, abs=0.01)


def test_colored_noise_rejects_an_exponent_out_of_range():
    with pytest.raises(SettingsError, match="exponent=9"):
        colored_noise(100, exponent=9, rng=np.random.default_rng(0))


def test_unknown_noise_kind_is_rejected_with_the_choices():
    with pytest.raises(SettingsError, match="'purple'.*pink"):
        make_noise("purple", 100, rng=np.random.default_rng(0))


def test_noise_bank_is_deterministic_and_cached(tmp_path, monkeypatch):
    a = noise_bank(duration_s=0.5, seed=3, cache_dir=tmp_path)
    assert set(a) == set(NOISE_KINDS) and len(list(tmp_path.glob("noise-*.npz"))) == 1

    def no_rendering(*args, **kwargs):
        raise AssertionError("the bank should come from the cache")

    monkeypatch.setattr(noise, "make_noise", no_rendering)
    b = noise_bank(duration_s=0.5, seed=3, cache_dir=tmp_path)
    assert all(np.array_equal(a[k], b[k]) for k in a)

"""Recording-channel augmentations: mic EQ, band limits, narrowband, cold start, and their place in the chain."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import sosfreqz

from harken.augment import (
    AugmentationSettings,
    BandLimit,
    BandLimitParams,
    ColdStart,
    MicEq,
    MicEqParams,
    Narrowband,
    NarrowbandParams,
    WaveformAugmenter,
)
from harken.augment.band_limit import band_sections
from harken.augment.mic_eq import eq_sections
from harken.augment.narrowband import mu_law_round_trip
from harken.errors import SettingsError

SR = 16000


def tone(freq_hz: float, n: int = SR, level: float = 0.5) -> np.ndarray:
    return (level * np.sin(2 * np.pi * freq_hz * np.arange(n) / SR)).astype(np.float32)


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2)))


def flat_eq(**gains) -> MicEqParams:
    base = {"applied": True, "low_shelf_hz": 200.0, "low_shelf_gain_db": 0.0, "high_shelf_hz": 4000.0,
            "high_shelf_gain_db": 0.0, "peak_hz": 1000.0, "peak_gain_db": 0.0, "peak_q": 1.0}
    return MicEqParams(**{**base, **gains})


def gain_at(params: MicEqParams, freq_hz: float) -> float:
    _, h = sosfreqz(eq_sections(params, sample_rate_hz=SR), worN=[freq_hz], fs=SR)
    return float(20 * np.log10(np.abs(h[0])))


# ---- mic EQ ------------------------------------------------------------------------------------
def test_mic_eq_low_shelf_lifts_the_lows_by_its_gain_and_leaves_the_highs():
    p = flat_eq(low_shelf_gain_db=6.0)
    assert gain_at(p, 30.0) == pytest.approx(6.0, abs=0.1)
    assert gain_at(p, 3000.0) == pytest.approx(0.0, abs=0.1)


def test_mic_eq_high_shelf_and_peak_act_where_they_should():
    assert gain_at(flat_eq(high_shelf_gain_db=-6.0), 7500.0) == pytest.approx(-6.0, abs=0.2)
    assert gain_at(flat_eq(peak_gain_db=5.0), 1000.0) == pytest.approx(5.0, abs=0.01)
    assert gain_at(flat_eq(peak_gain_db=5.0), 100.0) == pytest.approx(0.0, abs=0.2)


def test_mic_eq_changes_a_tone_by_the_filter_gain():
    t = MicEq(p=1.0)
    y = t.apply(tone(1000.0), flat_eq(peak_gain_db=6.0), sample_rate_hz=SR)
    assert rms_db(y[4000:]) - rms_db(tone(1000.0)[4000:]) == pytest.approx(6.0, abs=0.1)
    assert y.dtype == np.float32


def test_mic_eq_gains_stay_within_the_maximum():
    t = MicEq(p=1.0, max_gain_db=4.0)
    for i in range(50):
        p = t.sample(np.random.default_rng(i))
        assert max(abs(p.low_shelf_gain_db), abs(p.high_shelf_gain_db), abs(p.peak_gain_db)) <= 4.0
        assert 100.0 <= p.low_shelf_hz <= 400.0 and 2000.0 <= p.high_shelf_hz <= 6000.0


def test_mic_eq_with_p_zero_changes_nothing():
    t = MicEq(p=0.0)
    x = tone(500.0)
    assert t.apply(x, t.sample(np.random.default_rng(0)), sample_rate_hz=SR) is x


def test_mic_eq_rejects_a_gain_over_24_db():
    with pytest.raises(SettingsError, match="max_gain_db"):
        MicEq(max_gain_db=30.0)


# ---- band limits ------------------------------------------------------------------------------
def test_band_limit_removes_what_lies_outside_the_band():
    t = BandLimit(p=1.0)
    p = BandLimitParams(applied=True, highpass_hz=300.0, lowpass_hz=3400.0)
    inside = t.apply(tone(1000.0), p, sample_rate_hz=SR)
    below = t.apply(tone(60.0), p, sample_rate_hz=SR)
    above = t.apply(tone(6000.0), p, sample_rate_hz=SR)
    assert rms_db(inside[4000:]) - rms_db(tone(1000.0)[4000:]) == pytest.approx(0.0, abs=0.5)
    assert rms_db(below[4000:]) - rms_db(tone(60.0)[4000:]) < -40.0
    assert rms_db(above[4000:]) - rms_db(tone(6000.0)[4000:]) < -20.0


def test_band_limit_leaves_out_a_lowpass_near_nyquist():
    assert band_sections(100.0, 7500.0, SR).shape == (2, 6)  # high-pass only
    assert band_sections(100.0, 4000.0, SR).shape == (4, 6)


def test_band_limit_draws_corners_within_the_ranges():
    t = BandLimit(p=1.0, min_highpass_hz=150.0, max_highpass_hz=250.0, min_lowpass_hz=3500.0, max_lowpass_hz=5000.0)
    for i in range(50):
        p = t.sample(np.random.default_rng(i))
        assert 150.0 <= p.highpass_hz <= 250.0 and 3500.0 <= p.lowpass_hz <= 5000.0


def test_band_limit_rejects_min_above_max():
    with pytest.raises(SettingsError, match="lowpass_hz"):
        BandLimit(min_lowpass_hz=6000.0, max_lowpass_hz=4000.0)


# ---- narrowband -------------------------------------------------------------------------------
def test_narrowband_removes_everything_above_half_the_rate_and_keeps_the_length():
    t = Narrowband(p=1.0)
    p = NarrowbandParams(applied=True, rate_hz=8000, mu_law=False)
    high = t.apply(tone(5000.0), p, sample_rate_hz=SR)
    low = t.apply(tone(1000.0), p, sample_rate_hz=SR)
    assert high.shape == (SR,) and high.dtype == np.float32
    assert rms_db(high[1000:-1000]) - rms_db(tone(5000.0)) < -40.0
    assert rms_db(low[1000:-1000]) - rms_db(tone(1000.0)) == pytest.approx(0.0, abs=0.2)


def test_mu_law_round_trip_is_close_with_8_bit_noise():
    x = tone(440.0)
    y = mu_law_round_trip(x)
    snr = 10 * np.log10(np.sum(x.astype(np.float64) ** 2) / np.sum((x - y).astype(np.float64) ** 2))
    assert 25.0 < snr < 50.0  # G.711 gives roughly 35-38 dB on a loud tone
    assert not np.array_equal(x, y)


def test_narrowband_at_or_above_the_rate_changes_nothing():
    x = tone(1000.0)
    assert Narrowband.apply(x, NarrowbandParams(applied=True, rate_hz=SR, mu_law=True), sample_rate_hz=SR) is x


def test_narrowband_rejects_a_bad_rate_range():
    with pytest.raises(SettingsError, match="rate_hz"):
        Narrowband(min_rate_hz=1000, max_rate_hz=8000)


# ---- cold start -------------------------------------------------------------------------------
def test_cold_start_silences_exactly_the_warm_up():
    t = ColdStart(p=1.0)
    x = np.ones(10, np.float32)
    y = t.apply(x, t.sample(np.random.default_rng(0)), window_length=6)
    assert y.tolist() == [0.0] * 4 + [1.0] * 6
    assert x.tolist() == [1.0] * 10  # a new array


def test_cold_start_with_p_zero_keeps_the_warm_up():
    t = ColdStart(p=0.0)
    x = np.ones(10, np.float32)
    assert t.apply(x, t.sample(np.random.default_rng(0)), window_length=6) is x


# ---- settings and the chain -------------------------------------------------------------------
def test_channel_settings_are_off_by_default_and_round_trip():
    s = AugmentationSettings()
    assert (s.p_mic_eq, s.p_band_limit, s.p_narrowband, s.p_cold_start) == (0.0, 0.0, 0.0, 0.0)
    t = AugmentationSettings(p_mic_eq=0.5, max_mic_eq_gain_db=9.0, p_band_limit=0.3, min_lowpass_hz=3500.0,
                             p_narrowband=0.1, max_narrowband_rate_hz=12000, p_cold_start=0.5)  # fmt: skip
    assert AugmentationSettings.from_dict(t.to_dict()) == t


@pytest.mark.parametrize("key,value", [("p_mic_eq", 1.5), ("max_mic_eq_gain_db", -1.0), ("min_highpass_hz", 5.0),
                                       ("max_narrowband_rate_hz", 100000), ("p_cold_start", -0.1)])  # fmt: skip
def test_channel_settings_reject_bad_values(key, value):
    with pytest.raises(SettingsError, match=key.removeprefix("min_").removeprefix("max_")):
        AugmentationSettings(**{key: value})


def word() -> np.ndarray:
    t = np.arange(int(0.5 * SR)) / SR
    return (0.4 * np.sin(2 * np.pi * 150 * t) * np.sin(np.pi * t / 0.5)).astype(np.float32)


def test_channel_transforms_leave_the_other_draws_unchanged():
    base = AugmentationSettings(p_cold_start=0.0)
    on = AugmentationSettings(p_mic_eq=1.0, p_band_limit=1.0, p_narrowband=1.0)
    _, log_a = WaveformAugmenter(base, sample_rate_hz=SR)(word(), length=32000, window_length=16000, rng=np.random.default_rng(3))
    _, log_b = WaveformAugmenter(on, sample_rate_hz=SR)(word(), length=32000, window_length=16000, rng=np.random.default_rng(3))
    channel = {"mic_eq", "band_limit", "narrowband"}
    assert [d for d in log_b if d["name"] not in channel] == log_a
    assert channel <= {d["name"] for d in log_b}


def test_cold_start_in_the_chain_leaves_a_silent_warm_up_and_speech_in_the_window():
    s = AugmentationSettings(p_cold_start=1.0, p_noise=1.0)
    x, log = WaveformAugmenter(s, sample_rate_hz=SR)(word(), length=32000, window_length=16000, rng=np.random.default_rng(0))
    assert not x[:16000].any() and np.abs(x[16000:]).max() > 0.01
    assert log[-1]["name"] == "cold_start"

"""Band limit: a high-pass and a low-pass with drawn corners, like a cheap microphone path."""

from __future__ import annotations

import numpy as np
import pytest

from harken.augment import BandLimit, BandLimitParams
from harken.augment.band_limit import band_sections
from harken.errors import SettingsError
from tests.augment.signals import CTX, SR, rms_db, sine


def test_band_limit_removes_what_lies_outside_the_band():
    t = BandLimit(p=1.0)
    p = BandLimitParams(applied=True, highpass_hz=300.0, lowpass_hz=3400.0)
    inside = t.apply(sine(1000.0, SR), p, CTX)
    below = t.apply(sine(60.0, SR), p, CTX)
    above = t.apply(sine(6000.0, SR), p, CTX)
    assert rms_db(inside[4000:]) - rms_db(sine(1000.0, SR)[4000:]) == pytest.approx(0.0, abs=0.5)
    assert rms_db(below[4000:]) - rms_db(sine(60.0, SR)[4000:]) < -40.0
    assert rms_db(above[4000:]) - rms_db(sine(6000.0, SR)[4000:]) < -20.0


def test_band_limit_leaves_out_a_lowpass_near_nyquist():
    assert band_sections(100.0, 7500.0, SR).shape == (2, 6)  # high-pass only
    assert band_sections(100.0, 4000.0, SR).shape == (4, 6)


def test_band_limit_draws_corners_within_the_ranges():
    t = BandLimit(p=1.0, min_highpass_hz=150.0, max_highpass_hz=250.0, min_lowpass_hz=3500.0, max_lowpass_hz=5000.0)
    for i in range(50):
        p = t.sample(np.random.default_rng(i), sine(500.0, 10), CTX)
        assert 150.0 <= p.highpass_hz <= 250.0 and 3500.0 <= p.lowpass_hz <= 5000.0


def test_band_limit_with_fixed_corners_draws_exactly_them():
    p = BandLimit(p=1.0, min_lowpass_hz=3000.0, max_lowpass_hz=3000.0, min_highpass_hz=200.0, max_highpass_hz=200.0).sample(
        np.random.default_rng(0), sine(500.0, 10), CTX)  # fmt: skip
    assert (round(p.highpass_hz, 6), round(p.lowpass_hz, 6), p.applied) == (200.0, 3000.0, True)


def test_band_limit_rejects_min_above_max_and_a_low_highpass():
    with pytest.raises(SettingsError, match="BandLimit.min_lowpass_hz=6000"):
        BandLimit(min_lowpass_hz=6000.0, max_lowpass_hz=4000.0)
    with pytest.raises(SettingsError, match="BandLimit.min_highpass_hz=5"):
        BandLimit(min_highpass_hz=5.0)


def test_band_limit_round_trips_through_plain_data():
    t = BandLimit(p=0.3, min_lowpass_hz=3500.0)
    assert BandLimit.from_dict(t.to_dict()) == t

"""Mic EQ: a random low shelf, high shelf and peak, like a microphone's colour."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import sosfreqz

from harken.augment import MicEq, MicEqParams
from harken.augment.mic_eq import eq_sections
from harken.errors import SettingsError
from tests.augment.signals import CTX, SR, draw, rms_db, sine


def flat_eq(**gains) -> MicEqParams:
    base = {"applied": True, "low_shelf_hz": 200.0, "low_shelf_gain_db": 0.0, "high_shelf_hz": 4000.0,
            "high_shelf_gain_db": 0.0, "peak_hz": 1000.0, "peak_gain_db": 0.0, "peak_q": 1.0}
    return MicEqParams(**{**base, **gains})


def gain_at(params: MicEqParams, freq_hz: float) -> float:
    _, h = sosfreqz(eq_sections(params, sample_rate_hz=SR), worN=[freq_hz], fs=SR)
    return float(20 * np.log10(np.abs(h[0])))


def test_mic_eq_low_shelf_lifts_the_lows_by_its_gain_and_leaves_the_highs():
    p = flat_eq(low_shelf_gain_db=6.0)
    assert gain_at(p, 30.0) == pytest.approx(6.0, abs=0.1)
    assert gain_at(p, 3000.0) == pytest.approx(0.0, abs=0.1)


def test_mic_eq_high_shelf_and_peak_act_where_they_should():
    assert gain_at(flat_eq(high_shelf_gain_db=-6.0), 7500.0) == pytest.approx(-6.0, abs=0.2)
    assert gain_at(flat_eq(peak_gain_db=5.0), 1000.0) == pytest.approx(5.0, abs=0.01)
    assert gain_at(flat_eq(peak_gain_db=5.0), 100.0) == pytest.approx(0.0, abs=0.2)


def test_mic_eq_changes_a_tone_by_the_filter_gain():
    tone = sine(1000.0, SR)
    y = MicEq(p=1.0).apply(tone, flat_eq(peak_gain_db=6.0), CTX)
    assert rms_db(y[4000:]) - rms_db(tone[4000:]) == pytest.approx(6.0, abs=0.1)
    assert y.dtype == np.float32


def test_mic_eq_gains_stay_within_the_maximum():
    t = MicEq(p=1.0, max_gain_db=4.0)
    for i in range(50):
        p = t.sample(np.random.default_rng(i), sine(500.0, 10), CTX)
        assert max(abs(p.low_shelf_gain_db), abs(p.high_shelf_gain_db), abs(p.peak_gain_db)) <= 4.0
        assert 100.0 <= p.low_shelf_hz <= 400.0 and 2000.0 <= p.high_shelf_hz <= 6000.0


def test_mic_eq_with_p_zero_changes_nothing():
    x = sine(500.0, SR)
    assert draw(MicEq(p=0.0), x) is x


@pytest.mark.parametrize("key,value", [("p", 1.5), ("max_gain_db", -1.0), ("max_gain_db", 30.0), ("min_low_shelf_hz", 5.0)])
def test_mic_eq_rejects_bad_values(key, value):
    with pytest.raises(SettingsError, match=f"MicEq.{key}="):
        MicEq(**{key: value})


def test_mic_eq_round_trips_through_plain_data():
    t = MicEq(p=0.5, max_gain_db=9.0, min_peak_hz=500.0)
    assert MicEq.from_dict(t.to_dict()) == t

"""Narrowband: down to a telephone-like rate and back, optionally through 8-bit mu-law."""

from __future__ import annotations

import numpy as np
import pytest

from harken.augment import Narrowband, NarrowbandParams
from harken.augment.narrowband import mu_law_round_trip
from harken.errors import SettingsError
from tests.augment.signals import CTX, SR, rms_db, sine


def test_narrowband_removes_everything_above_half_the_rate_and_keeps_the_length():
    t = Narrowband(p=1.0)
    p = NarrowbandParams(applied=True, rate_hz=8000, mu_law=False)
    high = t.apply(sine(5000.0, SR), p, CTX)
    low = t.apply(sine(1000.0, SR), p, CTX)
    assert high.shape == (SR,) and high.dtype == np.float32
    assert rms_db(high[1000:-1000]) - rms_db(sine(5000.0, SR)) < -40.0
    assert rms_db(low[1000:-1000]) - rms_db(sine(1000.0, SR)) == pytest.approx(0.0, abs=0.2)


def test_mu_law_round_trip_is_close_with_8_bit_noise():
    x = sine(440.0, SR)
    y = mu_law_round_trip(x)
    snr = 10 * np.log10(np.sum(x.astype(np.float64) ** 2) / np.sum((x - y).astype(np.float64) ** 2))
    assert 25.0 < snr < 50.0  # G.711 gives roughly 35-38 dB on a loud tone
    assert not np.array_equal(x, y)


def test_narrowband_at_or_above_the_rate_changes_nothing():
    x = sine(1000.0, SR)
    assert Narrowband(p=1.0).apply(x, NarrowbandParams(applied=True, rate_hz=SR, mu_law=True), CTX) is x


def test_narrowband_draws_a_fixed_rate_and_mu_law_when_asked():
    p = Narrowband(p=1.0, min_rate_hz=9000, max_rate_hz=9000, p_mu_law=1.0).sample(np.random.default_rng(0), sine(1.0, 10), CTX)
    assert (p.applied, p.rate_hz, p.mu_law) == (True, 9000, True)


def test_narrowband_rejects_a_bad_rate_range_and_probability():
    with pytest.raises(SettingsError, match="Narrowband.min_rate_hz=1000"):
        Narrowband(min_rate_hz=1000, max_rate_hz=8000)
    with pytest.raises(SettingsError, match="Narrowband.max_rate_hz=100000"):
        Narrowband(max_rate_hz=100000)
    with pytest.raises(SettingsError, match="Narrowband.p_mu_law=2"):
        Narrowband(p_mu_law=2.0)


def test_narrowband_round_trips_through_plain_data():
    t = Narrowband(p=0.15, max_rate_hz=12000, p_mu_law=0.25)
    assert Narrowband.from_dict(t.to_dict()) == t

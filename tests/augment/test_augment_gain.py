"""Gain: the word's peak set to a drawn level."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import Gain
from harken.errors import SettingsError
from tests.augment.signals import CTX, draw, sine


def test_gain_sets_the_peak_level():
    y = draw(Gain(p=1.0, min_peak_dbfs=-12.0, max_peak_dbfs=-12.0), sine(300, 1000, 0.01))
    assert y.dtype == np.float32
    assert 20 * np.log10(np.max(np.abs(y))) == pytest.approx(-12.0, abs=1e-4)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_gain_peak_is_within_range(seed):
    y = draw(Gain(p=1.0, min_peak_dbfs=-30.0, max_peak_dbfs=-1.0), sine(300, 500), seed=seed)
    assert -30.0 - 1e-3 <= 20 * np.log10(np.max(np.abs(y))) <= -1.0 + 1e-3


def test_gain_with_p_zero_leaves_audio_alone():
    x = sine(300, 500)
    assert np.array_equal(draw(Gain(p=0.0), x), x)


def test_gain_keeps_silence_silent():
    assert not draw(Gain(p=1.0), np.zeros(100, np.float32)).any()


def test_gain_does_not_change_its_input():
    x = sine(300, 500)
    draw(Gain(p=1.0, min_peak_dbfs=-3.0, max_peak_dbfs=-3.0), x)
    assert np.array_equal(x, sine(300, 500))


def test_gain_rejects_min_above_max():
    with pytest.raises(SettingsError, match="Gain.min_peak_dbfs=-1"):
        Gain(min_peak_dbfs=-1.0, max_peak_dbfs=-10.0)


def test_gain_rejects_a_positive_peak_level():
    with pytest.raises(SettingsError, match="max_peak_dbfs=3"):
        Gain(max_peak_dbfs=3.0)


def test_gain_round_trips_through_plain_data():
    g = Gain(p=0.3, min_peak_dbfs=-20.0, max_peak_dbfs=-6.0)
    assert Gain.from_dict(g.to_dict()) == g and g.to_dict() == {"p": 0.3, "min_peak_dbfs": -20.0, "max_peak_dbfs": -6.0}


def test_gain_sample_draws_the_same_for_the_same_rng():
    g, x = Gain(p=0.5), sine(300, 100)
    assert g.sample(np.random.default_rng(4), x, CTX) == g.sample(np.random.default_rng(4), x, CTX)

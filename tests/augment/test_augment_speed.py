"""Speed: tempo and pitch together, by resampling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import Speed
from harken.errors import SettingsError
from tests.augment.signals import CTX, dominant_hz, draw, sine


@pytest.mark.parametrize("factor", [0.85, 0.9, 1.1, 1.15])
def test_speed_changes_the_length_by_the_factor(factor):
    y = draw(Speed(p=1.0, min_speed_factor=factor, max_speed_factor=factor), sine(400, 8000))
    assert y.dtype == np.float32
    assert y.size == round(8000 / factor)


def test_speed_scales_the_frequency_by_the_factor():
    y = draw(Speed(p=1.0, min_speed_factor=1.1, max_speed_factor=1.1), sine(400, 16000))
    assert dominant_hz(y[1000:-1000]) == pytest.approx(440.0, rel=0.005)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_speed_factor_is_drawn_within_range(seed):
    prm = Speed(p=1.0, min_speed_factor=0.87, max_speed_factor=1.13).sample(np.random.default_rng(seed), sine(400, 10), CTX)
    assert 0.87 <= prm.factor <= 1.13


def test_speed_with_p_zero_leaves_audio_alone():
    x = sine(400, 800)
    assert draw(Speed(p=0.0), x) is x


def test_speed_rejects_min_above_max():
    with pytest.raises(SettingsError, match="min_speed_factor=1.2 > max_speed_factor=0.9"):
        Speed(min_speed_factor=1.2, max_speed_factor=0.9)


def test_speed_rejects_out_of_range_factor():
    with pytest.raises(SettingsError, match="Speed.max_speed_factor=9"):
        Speed(max_speed_factor=9.0)


def test_speed_round_trips_through_plain_data():
    s = Speed(p=0.4, min_speed_factor=0.9, max_speed_factor=1.2)
    assert Speed.from_dict(s.to_dict()) == s

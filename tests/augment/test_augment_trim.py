"""Trim: the spoken part of a word, by an energy threshold."""

from __future__ import annotations

import numpy as np
import pytest

from harken.augment import Trim, trim_bounds
from harken.errors import SettingsError
from tests.augment.signals import CTX, SR, draw, sine


def test_trim_finds_the_loud_part():
    x = np.zeros(16000, np.float32)
    x[3200:9600] = sine(200, 6400)
    b = trim_bounds(x + np.float32(1e-5), sample_rate_hz=SR, below_peak_db=40.0)
    assert (b.start, b.stop) == (3200, 9600)


def test_trim_transform_keeps_exactly_the_loud_part():
    x = np.zeros(16000, np.float32)
    x[3200:9600] = sine(200, 6400)
    assert np.array_equal(draw(Trim(below_peak_db=40.0), x), x[3200:9600])


def test_trim_keeps_an_all_zero_clip():
    b = trim_bounds(np.zeros(1000, np.float32), sample_rate_hz=SR)
    assert (b.applied, b.start, b.stop) == (False, 0, 1000)
    assert Trim().sample(np.random.default_rng(0), np.zeros(1000, np.float32), CTX).applied is False


def test_trim_rejects_non_positive_threshold():
    with pytest.raises(SettingsError, match="below_peak_db=0"):
        trim_bounds(np.ones(10, np.float32), sample_rate_hz=SR, below_peak_db=0)
    with pytest.raises(SettingsError, match="Trim.below_peak_db=0"):
        Trim(below_peak_db=0.0)
    with pytest.raises(SettingsError, match="Trim.below_peak_db=200"):
        Trim(below_peak_db=200.0)


def test_trim_round_trips_through_plain_data():
    t = Trim(below_peak_db=30.0)
    assert Trim.from_dict(t.to_dict()) == t and t.to_dict() == {"below_peak_db": 30.0}

"""Mic floor: the microphone's self-noise at an absolute level."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import MicFloor
from harken.errors import SettingsError
from tests.augment.signals import CTX, db, draw, sine
from harken.augment.noise_mix import mean_square


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_mic_floor_level_is_absolute_and_in_range(seed):
    t = MicFloor(p=1.0, min_level_dbfs=-90.0, max_level_dbfs=-60.0)
    x = np.zeros(16000, np.float32)
    prm = t.sample(np.random.default_rng(seed), x, CTX)
    y = t.apply(x, prm, CTX)
    assert db(mean_square(y)) == pytest.approx(prm.level_dbfs, abs=0.01)
    assert -90.01 <= db(mean_square(y)) <= -59.99


def test_mic_floor_does_not_depend_on_the_signal_level():
    t = MicFloor(p=1.0, min_level_dbfs=-70.0, max_level_dbfs=-70.0)
    quiet, loud = sine(300, 8000, 0.001), sine(300, 8000, 0.9)
    np.testing.assert_allclose(draw(t, quiet) - quiet, draw(t, loud) - loud, atol=1e-6)


def test_mic_floor_seed_chooses_the_noise():
    x = np.zeros(8000, np.float32)
    a = draw(MicFloor(p=1.0, seed=0), x)
    assert np.array_equal(a, draw(MicFloor(p=1.0, seed=0), x)) and not np.array_equal(a, draw(MicFloor(p=1.0, seed=1), x))


def test_mic_floor_rejects_a_level_above_full_scale():
    with pytest.raises(SettingsError, match="MicFloor.max_level_dbfs=3"):
        MicFloor(max_level_dbfs=3.0)


def test_mic_floor_round_trips_through_plain_data():
    t = MicFloor(p=0.5, min_level_dbfs=-80.0, max_level_dbfs=-70.0, seed=2)
    assert MicFloor.from_dict(t.to_dict()) == t

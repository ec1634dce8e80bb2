"""Generated silence: quiet noise at an absolute level and the mic floor, no speech."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import AugmentContext, BackgroundNoise, Compose, MicFloor, Placement, SilenceNoise
from harken.augment.noise_mix import mean_square
from harken.errors import SettingsError
from tests.augment.signals import LENGTH, SR, WINDOW


def silence_of(compose: Compose, key=(0, 0, 0)):
    return compose.make_silence(key=key, context=compose.context(sample_rate_hz=SR, length=LENGTH, window_length=WINDOW))


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_silence_is_quiet_noise_within_the_level_ranges(seed):
    aug = Compose([Placement(), BackgroundNoise()], silence=SilenceNoise(p=1.0, min_level_dbfs=-70.0, max_level_dbfs=-40.0))
    x, log = silence_of(aug, key=(seed, 0, 0))
    assert x.shape == (LENGTH,) and x.dtype == np.float32
    level = 10 * np.log10(mean_square(x))
    assert level == pytest.approx(log[0]["level_dbfs"], abs=0.01)
    assert -70.01 <= level <= -39.99


def test_silence_without_noise_is_the_mic_floor_only():
    aug = Compose([Placement(), BackgroundNoise(), MicFloor(p=1.0)], silence=SilenceNoise(p=0.0))
    x, log = silence_of(aug)
    assert [p["name"] for p in log] == ["mic_floor"]
    assert -90.01 <= 10 * np.log10(mean_square(x)) <= -59.99


def test_silence_takes_only_the_mic_floor_from_the_list():
    aug = Compose()  # background noise, reverb, speed... in the list: none of them runs on silence
    for i in range(20):
        _, log = silence_of(aug, key=(0, 0, i))
        assert {p["name"] for p in log} <= {"silence_noise", "mic_floor"}


def test_silence_is_reproducible_and_another_key_differs():
    a, log_a = silence_of(Compose(), key=(4, 0, 0))
    b, log_b = silence_of(Compose(), key=(4, 0, 0))
    c, _ = silence_of(Compose(), key=(5, 0, 0))
    assert np.array_equal(a, b) and log_a == log_b
    assert not np.array_equal(a, c)


def test_silence_noise_without_clips_is_not_applied():
    t = SilenceNoise(p=1.0)
    x = np.zeros(100, np.float32)
    prm = t.sample(np.random.default_rng(0), x, AugmentContext(sample_rate_hz=SR))
    assert not prm.applied and t.apply(x, prm, AugmentContext(sample_rate_hz=SR)) is x


def test_silence_noise_rejects_min_above_max():
    with pytest.raises(SettingsError, match="SilenceNoise.min_level_dbfs=-20"):
        SilenceNoise(min_level_dbfs=-20.0, max_level_dbfs=-40.0)


def test_silence_noise_round_trips_through_plain_data():
    t = SilenceNoise(p=0.5, min_level_dbfs=-60.0, max_level_dbfs=-30.0)
    assert SilenceNoise.from_dict(t.to_dict()) == t

"""Weak ending: the last part of a word attenuated, the rest untouched, and its place in the chain."""

from __future__ import annotations

import numpy as np
import pytest

from harken.augment import AugmentationSettings, WaveformAugmenter, WeakEnding, WeakEndingParams
from harken.augment.weak_ending import RAMP_S
from harken.errors import SettingsError

SR = 16000


def test_weak_ending_attenuates_only_the_last_fraction_by_the_drawn_depth():
    x = np.full(SR, 0.5, np.float32)
    y = WeakEnding.apply(x, WeakEndingParams(applied=True, fraction=0.25, depth_db=20.0), sample_rate_hz=SR)
    start, ramp = SR - SR // 4, int(RAMP_S * SR)
    assert np.array_equal(y[:start], x[:start])
    assert np.allclose(y[start + ramp :], 0.05, rtol=1e-5)  # 20 dB under 0.5
    assert np.all(np.diff(y[start : start + ramp + 1]) <= 0)  # a falling ramp, no click upward
    assert x[-1] == 0.5  # a new array


def test_weak_ending_not_applied_returns_the_word_itself():
    x = np.ones(100, np.float32)
    assert WeakEnding.apply(x, WeakEndingParams(applied=False, fraction=0.5, depth_db=20.0), sample_rate_hz=SR) is x


def test_weak_ending_draws_within_its_ranges_and_always_three_values():
    t = WeakEnding(p=0.5, min_fraction=0.2, max_fraction=0.3, min_depth_db=10.0, max_depth_db=12.0)
    rng = np.random.default_rng(1)
    drawn = [t.sample(rng) for _ in range(200)]
    assert all(0.2 <= d.fraction <= 0.3 and 10.0 <= d.depth_db <= 12.0 for d in drawn)
    assert 60 < sum(d.applied for d in drawn) < 140
    never = WeakEnding(p=0.0)
    a, b = np.random.default_rng(2), np.random.default_rng(2)
    never.sample(a), t.sample(b)
    assert a.random() == b.random()  # p changes nothing about how many values are drawn


@pytest.mark.parametrize("key,value", [("p_weak_ending", 1.5), ("min_weak_ending_fraction", -0.1),
                                       ("max_weak_ending_fraction", 1.2), ("max_weak_ending_db", 200.0)])  # fmt: skip
def test_weak_ending_settings_reject_bad_values(key, value):
    with pytest.raises(SettingsError, match=key.removeprefix("min_").removeprefix("max_")):
        AugmentationSettings(**{key: value})


def word() -> np.ndarray:
    t = np.arange(int(0.5 * SR)) / SR
    return (0.4 * np.sin(2 * np.pi * 150 * t) * np.sin(np.pi * t / 0.5)).astype(np.float32)


def test_weak_ending_is_off_by_default_and_leaves_the_other_draws_unchanged():
    assert AugmentationSettings().p_weak_ending == 0.0
    off = WaveformAugmenter(AugmentationSettings(), sample_rate_hz=SR)
    on = WaveformAugmenter(AugmentationSettings(p_weak_ending=1.0, min_weak_ending_db=40.0, max_weak_ending_db=40.0),
                           sample_rate_hz=SR)  # fmt: skip
    x_off, log_off = off(word(), length=32000, window_length=16000, rng=np.random.default_rng(3))
    x_on, log_on = on(word(), length=32000, window_length=16000, rng=np.random.default_rng(3))
    assert [d for d in log_on if d["name"] != "weak_ending"] == log_off
    assert "weak_ending" in {d["name"] for d in log_on}
    assert not np.array_equal(x_off, x_on)

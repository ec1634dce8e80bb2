"""Placement: the word at a random offset inside the window at the end of the buffer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import AugmentContext, Placement
from harken.errors import SettingsError
from tests.augment.signals import SR


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20000))
@settings(max_examples=50, deadline=None)
def test_placement_puts_the_word_inside_the_window(seed, n):
    ctx = AugmentContext(sample_rate_hz=SR, length=32000, window_length=16000)
    word = np.ones(n, np.float32)
    t = Placement(p=1.0)
    prm = t.sample(np.random.default_rng(seed), word, ctx)
    y = t.apply(word, prm, ctx)
    nz = np.flatnonzero(y)
    assert y.size == 32000
    assert nz[0] >= 32000 - 16000 and nz[-1] < 32000
    assert nz.size == min(n, 16000)
    assert prm.speech_span == (nz[0], nz[-1] + 1)


def test_placement_without_p_centres_the_word():
    ctx = AugmentContext(sample_rate_hz=SR, length=3000, window_length=2000)
    prm = Placement(p=0.0).sample(np.random.default_rng(0), np.ones(1000, np.float32), ctx)
    assert prm.offset == 1000 + 500


def test_placement_rejects_window_longer_than_buffer():
    ctx = AugmentContext(sample_rate_hz=SR, length=1000, window_length=2000)
    with pytest.raises(SettingsError, match="window_length=2000"):
        Placement().sample(np.random.default_rng(0), np.ones(10, np.float32), ctx)


def test_placement_rejects_a_probability_above_one():
    with pytest.raises(SettingsError, match="Placement.p=1.5"):
        Placement(p=1.5)


def test_placement_round_trips_through_plain_data():
    assert Placement.from_dict(Placement(p=0.5).to_dict()) == Placement(p=0.5)

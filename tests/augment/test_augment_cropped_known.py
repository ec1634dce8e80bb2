"""Cropped known: the start of a keyword, ending at the end of the window."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import AugmentContext, CroppedKnown
from harken.errors import SettingsError
from tests.augment.signals import SR


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(10, 16000))
@settings(max_examples=50, deadline=None)
def test_cropped_known_keeps_the_start_and_ends_at_the_window_end(seed, n):
    ctx = AugmentContext(sample_rate_hz=SR, length=32000, window_length=16000)
    word = np.arange(1, n + 1, dtype=np.float32) / n
    t = CroppedKnown(min_fraction=0.2, max_fraction=0.5)
    prm = t.sample(np.random.default_rng(seed), word, ctx)
    y = t.apply(word, prm, ctx)
    nz = np.flatnonzero(y)
    assert nz[-1] == 32000 - 1  # ends at the end of the window
    assert np.array_equal(y[nz[0] :], word[: nz.size])  # the first part of the word
    assert 0.2 - 1.0 / n <= nz.size / n <= 0.5 + 1.0 / n
    assert prm.speech_span == (nz[0], 32000)


def test_cropped_known_with_a_fixed_fraction_keeps_exactly_that_share():
    ctx = AugmentContext(sample_rate_hz=SR, length=300, window_length=200)
    prm = CroppedKnown(min_fraction=0.5, max_fraction=0.5).sample(np.random.default_rng(0), np.ones(100, np.float32), ctx)
    assert (prm.num_samples, prm.offset) == (50, 250)


def test_cropped_known_rejects_fraction_above_one():
    with pytest.raises(SettingsError, match="CroppedKnown.max_fraction=1.5"):
        CroppedKnown(max_fraction=1.5)


def test_cropped_known_rejects_a_share_above_one():
    with pytest.raises(SettingsError, match="CroppedKnown.p=1.2"):
        CroppedKnown(p=1.2)


def test_cropped_known_round_trips_through_plain_data():
    t = CroppedKnown(p=0.1, min_fraction=0.3, max_fraction=0.6)
    assert CroppedKnown.from_dict(t.to_dict()) == t

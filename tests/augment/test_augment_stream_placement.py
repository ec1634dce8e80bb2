"""Stream placement (issue 30): words that end near the window's end, and words leaving the window as negatives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import AugmentContext, Compose, CroppedKnown, MicFloor, Placement, Trim
from harken.augment.placement import end_gap
from harken.errors import SettingsError
from tests.augment.signals import SR

CTX = AugmentContext(sample_rate_hz=SR, length=32000, window_length=16000)


def gaps_ms(t: Placement, n: int, draws: int = 2000) -> np.ndarray:
    """Milliseconds from the word's end to the window's end over ``draws`` seeds."""
    word = np.ones(n, np.float32)
    ends = [t.sample(np.random.default_rng(seed), word, CTX).speech_span[1] for seed in range(draws)]
    return (CTX.length - np.asarray(ends)) * 1000.0 / SR


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20000), scale=st.floats(0.1, 2000.0))
@settings(max_examples=50, deadline=None)
def test_stream_placement_keeps_the_whole_word_inside_the_window(seed, n, scale):
    word = np.ones(n, np.float32)
    t = Placement(p=1.0, end_scale_ms=scale)
    prm = t.sample(np.random.default_rng(seed), word, CTX)
    nz = np.flatnonzero(t.apply(word, prm, CTX))
    assert nz[0] >= CTX.length - CTX.window_length and nz[-1] < CTX.length
    assert nz.size == min(n, CTX.window_length)
    assert prm.speech_span == (nz[0], nz[-1] + 1)


def test_stream_placement_ends_words_near_the_window_end():
    end, uniform = gaps_ms(Placement(end_scale_ms=100.0), 8000), gaps_ms(Placement(), 8000)
    assert end.max() <= 500.0 and uniform.max() <= 500.0  # a 0.5 s word in a 1 s window: at most 0.5 s from the end
    assert 60.0 <= np.median(end) <= 80.0  # exponential of mean 100 ms, truncated at 500 ms: median ~69 ms
    assert np.mean(end < 100.0) > 0.6 > 0.3 > np.mean(uniform < 100.0)  # uniform: 20 %
    assert np.mean(end > 300.0) > 0.01  # words that ended earlier still occur


def test_stream_placement_is_deterministic_per_seed():
    t, word = Placement(end_scale_ms=150.0), np.ones(5000, np.float32)
    assert t.sample(np.random.default_rng(7), word, CTX) == t.sample(np.random.default_rng(7), word, CTX)
    assert len({t.sample(np.random.default_rng(s), word, CTX).offset for s in range(20)}) > 10


def test_zero_end_scale_draws_as_uniform_placement():
    word = np.ones(3000, np.float32)
    for seed in range(20):
        rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
        assert Placement(end_scale_ms=0.0).sample(rng_a, word, CTX) == Placement().sample(rng_b, word, CTX)


def test_stream_placement_without_p_centres_the_word():
    prm = Placement(p=0.0, end_scale_ms=100.0).sample(np.random.default_rng(0), np.ones(1000, np.float32),
                                                      AugmentContext(sample_rate_hz=SR, length=3000, window_length=2000))  # fmt: skip
    assert prm.offset == 1000 + 500


def test_end_gap_covers_its_range_and_a_word_filling_the_window_ends_it():
    assert end_gap(0.0, 100, 10.0) == 0 and end_gap(np.nextafter(1.0, 0.0), 100, 10.0) == 100
    assert end_gap(0.9, 0, 10.0) == 0
    prm = Placement(end_scale_ms=100.0).sample(np.random.default_rng(3), np.ones(20000, np.float32), CTX)
    assert prm.speech_span == (16000, 32000)


def test_stream_placement_rejects_a_negative_scale_and_round_trips():
    with pytest.raises(SettingsError, match="Placement.end_scale_ms=-1.0"):
        Placement(end_scale_ms=-1.0)
    assert Placement.from_dict(Placement(end_scale_ms=150.0).to_dict()) == Placement(end_scale_ms=150.0)


def test_cropped_tail_keeps_the_last_part_from_the_window_start():
    word = np.arange(1, 4001, dtype=np.float32) / 4000
    t = CroppedKnown(min_fraction=0.25, max_fraction=0.25, p_tail=1.0)
    prm = t.sample(np.random.default_rng(0), word, CTX)
    y = t.apply(word, prm, CTX)
    nz = np.flatnonzero(y)
    assert prm.tail and (nz[0], nz[-1] + 1) == prm.speech_span == (16000, 17000)
    assert np.array_equal(y[16000:17000], word[-1000:])


def test_cropped_tail_share_follows_p_tail_and_zero_draws_as_before():
    word = np.ones(4000, np.float32)
    tails = [CroppedKnown(p_tail=0.5).sample(np.random.default_rng(s), word, CTX).tail for s in range(400)]
    assert 0.4 < np.mean(tails) < 0.6
    for seed in range(20):
        a = CroppedKnown(p_tail=0.0).sample(np.random.default_rng(seed), word, CTX)
        assert a == CroppedKnown().sample(np.random.default_rng(seed), word, CTX) and not a.tail
    with pytest.raises(SettingsError, match="CroppedKnown.p_tail=2"):
        CroppedKnown(p_tail=2)


def test_compose_makes_tail_negatives_and_round_trips_the_new_settings():
    aug = Compose([Trim(), Placement(end_scale_ms=150.0), MicFloor(p=0.0)], spec_augment=None,
                  cropped_known=CroppedKnown(p=1.0, p_tail=1.0))  # fmt: skip
    ctx = aug.context(sample_rate_hz=SR, length=24000, window_length=16000)
    x, log = aug.make_cropped_known(np.full(4000, 0.1, np.float32), key=(0, 0, 1), context=ctx)
    crop = next(d for d in log if d["name"] == "cropped_known")
    assert crop["tail"] and crop["offset"] == 8000
    assert np.flatnonzero(x)[0] == 8000
    assert Compose.from_dict(aug.to_dict()) == aug

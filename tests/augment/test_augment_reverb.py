"""Reverb: the placed speech convolved with an impulse response, scaled to its dry peak."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from harken.augment import AugmentContext, Reverb, RirSet, truncate_rir
from harken.augment.reverb import reverberate
from harken.errors import SettingsError
from tests.augment.signals import SR, db, sine


def decaying_rir() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.standard_normal(800) * np.exp(-np.arange(800) / 100)).astype(np.float32)


def test_reverberate_is_the_convolution_scaled_to_the_dry_peak():
    x = sine(300, 3000)
    bank = RirSet([decaying_rir()])
    y = reverberate(x, bank, 0)
    expected = np.convolve(x.astype(np.float64), bank.rirs[0].astype(np.float64))
    expected *= np.max(np.abs(x)) / np.max(np.abs(expected))
    assert y.size == x.size + bank.rirs[0].size - 1
    np.testing.assert_allclose(y, expected, atol=1e-5)


def test_reverb_replaces_the_speech_span_by_its_wet_version_tail_included():
    bank = RirSet([decaying_rir()])
    word = sine(300, 3000)
    buffer = np.zeros(8000, np.float32)
    buffer[2000:5000] = word
    t = Reverb(p=1.0)
    ctx = AugmentContext(sample_rate_hz=SR, rirs=bank, speech_span=(2000, 5000))
    y = t.apply(buffer, t.sample(np.random.default_rng(0), buffer, ctx), ctx)
    wet = reverberate(word, bank, 0)
    assert not y[:2000].any()
    assert np.array_equal(y[2000 : 2000 + wet.size], wet) and not y[2000 + wet.size :].any()
    assert np.array_equal(buffer[2000:5000], word)  # the input is left as it was


def test_reverb_tail_is_cut_at_the_end_of_the_buffer():
    bank = RirSet([decaying_rir()])
    buffer = np.zeros(4000, np.float32)
    buffer[3000:] = sine(300, 1000)
    ctx = AugmentContext(sample_rate_hz=SR, rirs=bank, speech_span=(3000, 4000))
    y = Reverb(p=1.0).apply(buffer, Reverb(p=1.0).sample(np.random.default_rng(0), buffer, ctx), ctx)
    assert y.size == 4000 and np.array_equal(y[3000:], reverberate(sine(300, 1000), bank, 0)[:1000])


def test_reverb_without_impulse_responses_is_not_applied():
    t = Reverb(p=1.0)
    ctx = t.prepare(AugmentContext(sample_rate_hz=SR))
    x = sine(300, 100)
    prm = t.sample(np.random.default_rng(0), x, ctx)
    assert not prm.applied and t.apply(x, prm, ctx) is x


def test_reverb_prepare_cuts_the_tails_at_tail_db():
    t = np.arange(16000)
    rir = (np.exp(-t / 800.0) * np.where(t % 2, 1, -1)).astype(np.float32)
    ctx = Reverb(tail_db=30.0).prepare(AugmentContext(sample_rate_hz=SR, rirs=[rir]))
    assert isinstance(ctx.rirs, RirSet) and np.array_equal(ctx.rirs.rirs[0], truncate_rir(rir, tail_db=30.0))
    assert dataclasses.replace(ctx).rirs is ctx.rirs  # prepared once, shared by every sample


def test_truncate_rir_cuts_the_tail_at_minus_60_db():
    t = np.arange(16000)
    rir = (np.exp(-t / 800.0) * np.where(t % 2, 1, -1)).astype(np.float32)
    cut = truncate_rir(rir, tail_db=60.0)
    rest = np.sum(rir[cut.size :].astype(np.float64) ** 2) / np.sum(rir.astype(np.float64) ** 2)
    assert db(rest) < -60.0
    assert cut.size < rir.size


def test_truncate_rir_rejects_all_zero_response():
    with pytest.raises(SettingsError, match="all zeros"):
        truncate_rir(np.zeros(10, np.float32))


def test_reverb_rejects_a_bad_probability_and_tail():
    with pytest.raises(SettingsError, match="Reverb.p=1.5"):
        Reverb(p=1.5)
    with pytest.raises(SettingsError, match="Reverb.tail_db=5"):
        Reverb(tail_db=5.0)


def test_reverb_round_trips_through_plain_data():
    t = Reverb(p=0.25, tail_db=40.0)
    assert Reverb.from_dict(t.to_dict()) == t

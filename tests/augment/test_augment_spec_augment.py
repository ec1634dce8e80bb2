"""SpecAugment: time and frequency stripes at the int8 minimum, on the spectrogram's own stream."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import Compose, SpecAugment
from harken.errors import AudioError, SettingsError
from tests.augment.signals import SR, WINDOW, word_clip


def masks(**options) -> Compose:
    return Compose(spec_augment=SpecAugment(**options))


def test_spec_augment_masks_with_the_minimum_and_returns_a_new_array():
    spec = np.full((98, 40), 50, np.int8)
    y = masks(p_time_mask=1.0, max_num_time_masks=1, max_time_mask_frames=10, p_freq_mask=0.0).mask_spectrogram(spec, key=(0,))
    assert y.dtype == np.int8 and y.shape == spec.shape and y is not spec
    assert np.all(spec == 50)
    masked_rows = np.flatnonzero(np.all(y == -128, axis=1))
    assert 1 <= masked_rows.size <= 10
    assert np.array_equal(masked_rows, np.arange(masked_rows[0], masked_rows[0] + masked_rows.size))
    assert np.all(y[np.all(y != -128, axis=1)] == 50)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_spec_augment_respects_counts_and_widths(seed):
    spec = np.zeros((98, 104), np.int8)
    aug = masks(p_time_mask=1.0, max_num_time_masks=2, max_time_mask_frames=5, p_freq_mask=1.0, max_num_freq_masks=2,
                max_freq_mask_channels=7)  # fmt: skip
    y = aug.mask_spectrogram(spec, key=(seed, 0, 0))
    rows = np.count_nonzero(np.all(y == -128, axis=1))
    cols = np.count_nonzero(np.all(y == -128, axis=0))
    assert 1 <= rows <= 2 * 5 and 1 <= cols <= 2 * 7


def test_spec_augment_with_p_zero_or_none_changes_nothing():
    spec = np.random.default_rng(0).integers(-128, 128, (98, 40)).astype(np.int8)
    assert np.array_equal(masks(p_time_mask=0.0, p_freq_mask=0.0).mask_spectrogram(spec, key=(0,)), spec)
    assert np.array_equal(Compose(spec_augment=None).mask_spectrogram(spec, key=(0,)), spec)


def test_spec_augment_is_reproducible_and_another_key_differs():
    spec = np.zeros((98, 40), np.int8)
    aug = masks(p_time_mask=1.0, p_freq_mask=1.0)
    a = aug.mask_spectrogram(spec, key=(1, 0, 3))
    assert np.array_equal(a, aug.mask_spectrogram(spec, key=(1, 0, 3)))
    assert any(not np.array_equal(a, aug.mask_spectrogram(spec, key=(1, 0, i))) for i in range(4, 8))


def test_spec_augment_rejects_one_dimensional_input():
    with pytest.raises(AudioError, match="frames, channels"):
        Compose().mask_spectrogram(np.zeros(10, np.int8), key=(0,))


def test_spec_augment_on_real_front_end_output():
    from harken.frontend import FrontendSettings, compute_spectrograms

    fe = FrontendSettings(quantize_dynamic_scale_enable=True)
    aug = Compose()
    x, _ = aug(word_clip(), key=(0, 0, 0), context=aug.context(sample_rate_hz=SR, length=WINDOW, window_length=WINDOW))
    spec = compute_spectrograms(x[None, :], fe)[0]
    y = masks(p_time_mask=1.0, p_freq_mask=1.0).mask_spectrogram(spec, key=(0, 0, 0))
    assert y.dtype == spec.dtype and y.shape == spec.shape and (y == -128).sum() > (spec == -128).sum()


def test_spec_augment_rejects_a_negative_mask_count():
    with pytest.raises(SettingsError, match="SpecAugment.max_num_freq_masks=-1"):
        SpecAugment(max_num_freq_masks=-1)


def test_spec_augment_round_trips_through_plain_data():
    t = SpecAugment(p_time_mask=0.2, max_num_time_masks=3, max_freq_mask_channels=4)
    assert SpecAugment.from_dict(t.to_dict()) == t

"""int8 output mappings and the activity flags."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings as hyp_settings, strategies as st

from harken.frontend import (
    FrontendSettings,
    activity_flags,
    compute_spectrograms,
    quantize_dynamic,
    quantize_static,
)


def test_dynamic_maps_the_maximum_to_127_and_range_below_to_minus_128():
    fe = FrontendSettings()
    r = fe.dynamic_range  # 40 dB at shift 6 -> 294
    assert r == 294
    spec = np.array([[1000, 1000 - r, 1000 - r // 2, 0]], dtype=np.uint16)
    assert quantize_dynamic(spec, r).tolist() == [[127, -128, (r // 2 * 255) // r - 128, -128]]


def test_dynamic_of_silence_is_all_minus_128():
    fe = FrontendSettings()
    out = compute_spectrograms(np.zeros(16000, np.int16), fe)
    assert out.dtype == np.int8 and np.all(out == -128)


def test_static_map_matches_micro_speech_formula():
    spec = np.array([0, 1, 332, 333, 666, 667, 65535], dtype=np.uint16)
    assert quantize_static(spec[None, :]).ravel().tolist() == [-128, -128, 0, 0, 127, 127, 127]


@hyp_settings(max_examples=30, deadline=None)
@given(level=st.floats(min_value=0.0, max_value=1.5), seed=st.integers(0, 2**31))
def test_int8_output_stays_in_range_and_shape_follows_frames(level, seed):
    fe = FrontendSettings(sample_length_ms=500)
    clip = np.random.default_rng(seed).standard_normal(fe.sample_length) * level
    out = compute_spectrograms(np.clip(clip, -1, 0.99997).astype(np.float32), fe)
    assert out.shape == ((fe.sample_length - fe.window_size) // fe.window_step + 1, 104)
    assert out.min() >= -128 and out.max() <= 127


def test_activity_arms_on_an_onset_and_trips_after_it():
    fe = FrontendSettings(activity_detection_enable=True)
    rng = np.random.default_rng(0)
    quiet = rng.standard_normal(16000) * 30
    loud = rng.standard_normal(4000) * 8000
    clip = np.concatenate([quiet[:8000], loud, quiet[:8000]]).astype(np.int16)
    raw = compute_spectrograms(clip, fe, dtype="uint16")
    armed, tripped = activity_flags(raw, fe)
    onset_frame = (8000 - fe.window_size) // fe.window_step
    assert not armed[: onset_frame - 2].any() and not tripped[: onset_frame - 2].any()
    assert armed[onset_frame: onset_frame + 5].any()
    assert tripped[onset_frame:].any()


def test_activity_never_arms_on_steady_noise():
    fe = FrontendSettings(activity_detection_enable=True)
    clip = (np.random.default_rng(1).standard_normal(32000) * 2000).astype(np.int16)
    armed, tripped = activity_flags(compute_spectrograms(clip, fe, dtype="uint16")[10:], fe)
    assert not armed.any() and not tripped.any()

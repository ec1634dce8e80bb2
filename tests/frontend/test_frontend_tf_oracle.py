"""A second, independent oracle: TensorFlow's own audio_microfrontend op on random signals.

The op has no DC notch and no int8 scaling, always reduces noise, and (a known difference) rounds
one Hann coefficient of 480-sample windows differently from the firmware; everywhere else it must
agree with harken value for value.
"""

from __future__ import annotations

import numpy as np
import pytest

from harken.frontend import FrontendSettings, compute_spectrograms
from harken.frontend.tables import hann_window_q12

tf = pytest.importorskip("tensorflow")
from tensorflow.lite.experimental.microfrontend.python.ops import (  # noqa: E402
    audio_microfrontend_op as frontend_op,
)

ORACLE_SETTINGS = {
    "16k_25ms_400": dict(sample_rate_hz=16000, window_size_ms=25, window_step_ms=10, filterbank_n_channels=40),
    "16k_20ms_320_pcan": dict(sample_rate_hz=16000, window_size_ms=20, window_step_ms=10, filterbank_n_channels=40,
                              pcan_enable=True),
    "16k_32ms_512": dict(sample_rate_hz=16000, window_size_ms=32, window_step_ms=16, filterbank_n_channels=64,
                         filterbank_lower_band_limit=60.0, filterbank_upper_band_limit=7800.0),
    "16k_64ms_1024_nolog": dict(sample_rate_hz=16000, window_size_ms=64, window_step_ms=32, filterbank_n_channels=32,
                                log_scale_enable=False),
    "8k_30ms_240": dict(sample_rate_hz=8000, window_size_ms=30, window_step_ms=20, filterbank_n_channels=32,
                        filterbank_lower_band_limit=100.0, filterbank_upper_band_limit=3999.0,
                        noise_reduction_smoothing_bits=5, noise_reduction_even_smoothing=0.004,
                        noise_reduction_odd_smoothing=0.004, noise_reduction_min_signal_remaining=0.05),
    "8k_32ms_256_pcan_shift8": dict(sample_rate_hz=8000, window_size_ms=32, window_step_ms=10,
                                    filterbank_n_channels=20, filterbank_upper_band_limit=3900.0,
                                    pcan_enable=True, pcan_strength=0.8, pcan_offset=40.0, pcan_gain_bits=18,
                                    log_scale_shift=8),
}


def _tf_spectrogram(clip: np.ndarray, s: FrontendSettings) -> np.ndarray:
    out = frontend_op.audio_microfrontend(
        tf.constant(clip, dtype=tf.int16),
        sample_rate=s.sample_rate_hz,
        window_size=s.window_size_ms,
        window_step=s.window_step_ms,
        num_channels=s.filterbank_n_channels,
        upper_band_limit=s.filterbank_upper_band_limit,
        lower_band_limit=s.filterbank_lower_band_limit,
        smoothing_bits=s.noise_reduction_smoothing_bits,
        even_smoothing=s.noise_reduction_even_smoothing,
        odd_smoothing=s.noise_reduction_odd_smoothing,
        min_signal_remaining=s.noise_reduction_min_signal_remaining,
        enable_pcan=s.pcan_enable,
        pcan_strength=s.pcan_strength,
        pcan_offset=s.pcan_offset,
        gain_bits=s.pcan_gain_bits,
        enable_log=s.log_scale_enable,
        scale_shift=s.log_scale_shift,
        out_scale=1,
        out_type=tf.uint16,
    )
    return out.numpy()


def _random_clips(rng: np.random.Generator, length: int) -> list[np.ndarray]:
    """Noise at several levels, a sweep, bursts and full-scale clipping."""
    t = np.arange(length)
    clips = []
    for level in (3, 300, 3000, 20000, 60000):
        clips.append(np.clip(rng.standard_normal(length) * level, -32768, 32767).astype(np.int16))
    sweep = np.sin(2 * np.pi * np.cumsum(np.linspace(50, length / 2, length)) / length) * 12000
    clips.append(sweep.astype(np.int16))
    bursts = np.where((t // 800) % 3 == 0, rng.integers(-32768, 32768, length), 0).astype(np.int16)
    clips.append(bursts)
    return clips


@pytest.mark.parametrize("name", sorted(ORACLE_SETTINGS))
def test_uint16_output_equals_tensorflow_op(name):
    settings = FrontendSettings(dc_notch_filter_enable=False, **ORACLE_SETTINGS[name])
    rng = np.random.default_rng(len(name))
    for i, clip in enumerate(_random_clips(rng, settings.sample_length)):
        ours = compute_spectrograms(clip, settings, dtype="uint16")
        theirs = _tf_spectrogram(clip, settings)
        assert ours.shape == theirs.shape, name
        diff = np.argwhere(ours != theirs)
        assert len(diff) == 0, f"{name}, clip {i}: {len(diff)} values differ, first at frame/channel {diff[0]}"


def test_480_sample_hann_window_follows_the_firmware_not_the_op():
    window = hann_window_q12(480)
    # float32 evaluation: 54 at index 17 (the op's float64 gives 53); the mirror index 462 is 53 in both
    assert window[17] == 54 and window[462] == 53

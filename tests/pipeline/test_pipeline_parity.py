"""Training spectrograms equal what the streaming device has when the model window ends."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from harken.frontend import FrontendSettings, StreamingFrontend, compute_spectrograms, quantize_dynamic
from harken.frontend import warmup_samples, window_spectrogram
from tests.conftest import GOLDEN_FRONTEND


@pytest.mark.parametrize("warmup_ms", [0, 500, 1000])
def test_training_window_equals_streaming_window_at_its_end(warmup_ms):
    fe = FrontendSettings()
    rng = np.random.default_rng(warmup_ms)
    word = sf.read(GOLDEN_FRONTEND / "inputs/16k/on_enus-f3_s150.wav", dtype="int16")[0]
    warmup = warmup_samples(fe, warmup_ms)
    noise = (rng.standard_normal(warmup + len(word)) * 200).astype(np.int16)
    buffer = np.clip(noise.astype(np.int32) + np.concatenate([np.zeros(warmup, np.int32), word]),
                     -32768, 32767).astype(np.int16)
    stream = StreamingFrontend(fe)
    for start in range(0, len(buffer), 333):
        stream.push(buffer[start:start + 333])
    assert np.array_equal(window_spectrogram(buffer, fe), stream.window("int8"))


def test_dynamic_scaling_uses_the_kept_window_not_the_warmup():
    fe = FrontendSettings()
    loud_warmup = (np.random.default_rng(0).standard_normal(16000) * 20000).clip(-32768, 32767)
    quiet_window = np.random.default_rng(1).standard_normal(16000) * 100
    buffer = np.concatenate([loud_warmup, quiet_window]).astype(np.int16)
    window = window_spectrogram(buffer, fe)
    raw = compute_spectrograms(buffer, fe, dtype="uint16")
    assert np.array_equal(window, quantize_dynamic(raw[-fe.num_frames:], fe.dynamic_range))
    scaled_over_everything = quantize_dynamic(raw, fe.dynamic_range)[-fe.num_frames:]
    assert window.max() == 127 and scaled_over_everything.max() < 127  # the padded-buffer scaling is darker


def test_warmup_is_rounded_to_whole_steps():
    fe = FrontendSettings(sample_rate_hz=8000, window_step_ms=20, filterbank_n_channels=32,
                          filterbank_upper_band_limit=3999.0)
    assert warmup_samples(fe, 1000) == 8000
    assert warmup_samples(fe, 1010) % fe.window_step == 0

"""Streaming mode gives exactly the batch frames, whatever the chunking."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings as hyp_settings, strategies as st

from harken.frontend import FrontendSettings, StreamingFrontend, compute_spectrograms
from tests.conftest import GOLDEN_FRONTEND, golden_settings_files, load_golden


def _stream(settings: FrontendSettings, clip: np.ndarray, chunk_sizes) -> np.ndarray:
    stream = StreamingFrontend(settings)
    frames, pos = [], 0
    sizes = iter(chunk_sizes)
    while pos < len(clip):
        size = next(sizes)
        frames.append(stream.push(clip[pos:pos + size]))
        pos += size
    return np.concatenate(frames)


@pytest.mark.parametrize("settings_file", golden_settings_files(), ids=lambda p: p.stem)
def test_streaming_equals_batch_for_random_chunkings(settings_file):
    meta = load_golden(settings_file)
    settings = FrontendSettings.from_dict(meta["settings"])
    rng = np.random.default_rng(zlib.crc32(meta["id"].encode()))
    for path in sorted((GOLDEN_FRONTEND / meta["inputs"]).glob("*.wav")):
        clip = sf.read(path, dtype="int16")[0]
        batch = compute_spectrograms(clip, settings, dtype="uint16")
        max_chunk = int(rng.choice([7, 160, 1000, 5000]))
        sizes = rng.integers(1, max_chunk + 1, size=len(clip))
        streamed = _stream(settings, clip, sizes)
        assert np.array_equal(streamed, batch), f"{meta['id']}/{path.name} (chunks up to {max_chunk})"


def test_streaming_one_sample_at_a_time_equals_batch():
    settings = FrontendSettings(sample_rate_hz=8000, window_step_ms=20, filterbank_n_channels=32,
                                filterbank_upper_band_limit=3999.0)
    clip = sf.read(GOLDEN_FRONTEND / "inputs/8k/on_off_two_words_s160.wav", dtype="int16")[0]
    streamed = _stream(settings, clip, [1] * len(clip))
    assert np.array_equal(streamed, compute_spectrograms(clip, settings, dtype="uint16"))


@hyp_settings(max_examples=25, deadline=None)
@given(chunks=st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=40),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_streaming_equals_batch_for_any_chunk_sizes(chunks, seed):
    settings = FrontendSettings()
    clip = (np.random.default_rng(seed).standard_normal(8000) * 4000).clip(-32768, 32767).astype(np.int16)
    sizes = (chunks * (len(clip) // sum(chunks) + 1))
    assert np.array_equal(_stream(settings, clip, sizes), compute_spectrograms(clip, settings, dtype="uint16"))


def test_window_int8_equals_batch_int8_when_window_ends():
    meta = load_golden(GOLDEN_FRONTEND / "settings/v3_int8.json")
    settings = FrontendSettings.from_dict(meta["settings"])
    clip = sf.read(GOLDEN_FRONTEND / "inputs/16k/on_enus-f3_s150.wav", dtype="int16")[0]
    stream = StreamingFrontend(settings)
    stream.push(clip)
    assert stream.window_ready
    reference = np.load(GOLDEN_FRONTEND / "outputs/v3_int8.npz")["on_enus-f3_s150.wav"]
    assert np.array_equal(stream.window("int8"), reference)


def test_ring_keeps_the_last_frames_in_time_order():
    settings = FrontendSettings()
    clip = (np.random.default_rng(3).standard_normal(32000) * 3000).astype(np.int16)
    stream = StreamingFrontend(settings, window_frames=10)
    frames = np.concatenate([stream.push(clip[i:i + 777]) for i in range(0, len(clip), 777)])
    assert np.array_equal(stream.window(), frames[-10:])
    assert stream.frames_seen == len(frames)


def test_window_before_enough_frames_is_zero_padded_at_the_start():
    stream = StreamingFrontend(FrontendSettings(), window_frames=5)
    frames = stream.push((np.random.default_rng(0).standard_normal(480 + 160) * 3000).astype(np.int16))
    assert len(frames) == 2 and not stream.window_ready
    window = stream.window()
    assert np.all(window[:3] == 0) and np.array_equal(window[3:], frames)


def test_reset_restarts_from_power_on_state():
    settings = FrontendSettings()
    clip = (np.random.default_rng(5).standard_normal(16000) * 3000).astype(np.int16)
    stream = StreamingFrontend(settings)
    stream.push(clip[:7000])
    stream.reset()
    assert np.array_equal(stream.push(clip), compute_spectrograms(clip, settings, dtype="uint16"))


def test_float_chunks_match_int16_chunks():
    settings = FrontendSettings()
    clip = (np.random.default_rng(9).standard_normal(16000) * 3000).astype(np.int16)
    as_float = clip.astype(np.float32) / 32768
    assert np.array_equal(StreamingFrontend(settings).push(as_float), StreamingFrontend(settings).push(clip))

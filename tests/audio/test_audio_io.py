"""Bad or unusual audio files: a clear one-line error or a documented conversion, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from harken.audio import read_audio, write_wav
from harken.errors import AudioError


@pytest.fixture
def tone() -> np.ndarray:
    t = np.arange(16000) / 16000
    return (np.sin(2 * np.pi * 440 * t) * 0.5).astype(np.float64)


def test_pcm16_is_read_exactly(tmp_path):
    samples = np.array([0, 1, -1, 32767, -32768, 1234], dtype=np.int16)
    sf.write(tmp_path / "a.wav", samples, 16000, subtype="PCM_16")
    got, rate = read_audio(tmp_path / "a.wav")
    assert rate == 16000 and got.dtype == np.int16 and np.array_equal(got, samples)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_other_sample_formats_are_converted_to_int16(tmp_path, tone, subtype):
    sf.write(tmp_path / "a.wav", tone, 16000, subtype=subtype)
    got, rate = read_audio(tmp_path / "a.wav")
    expected = np.rint(tone * 32768).astype(np.int16)
    assert got.dtype == np.int16 and rate == 16000
    tolerance = 256 if subtype == "PCM_U8" else 1
    assert np.max(np.abs(got.astype(int) - expected)) <= tolerance


def test_stereo_keeps_the_first_channel(tmp_path, tone):
    stereo = np.stack([tone, -tone * 0.5], axis=1)
    sf.write(tmp_path / "s.wav", stereo, 16000, subtype="PCM_16")
    got, _ = read_audio(tmp_path / "s.wav")
    assert np.array_equal(got, sf.read(tmp_path / "s.wav", dtype="int16")[0][:, 0])


def test_other_sample_rate_is_resampled(tmp_path, tone):
    sf.write(tmp_path / "r.wav", tone[:8000], 8000, subtype="PCM_16")
    got, rate = read_audio(tmp_path / "r.wav", sample_rate_hz=16000)
    assert rate == 16000 and abs(len(got) - 16000) <= 1


def test_float_file_with_nan_is_rejected(tmp_path, tone):
    tone[100] = np.nan
    sf.write(tmp_path / "n.wav", tone, 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="n.wav: the file has NaN"):
        read_audio(tmp_path / "n.wav")


def test_not_audio_is_rejected_naming_the_file(tmp_path):
    (tmp_path / "text.wav").write_text("this is not a wav file\n")
    with pytest.raises(AudioError, match=r"text.wav: not a readable audio file"):
        read_audio(tmp_path / "text.wav")


def test_empty_file_is_rejected(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty.wav: not a readable audio file"):
        read_audio(tmp_path / "empty.wav")


def test_wav_without_samples_is_rejected(tmp_path):
    sf.write(tmp_path / "zero.wav", np.zeros(0, np.int16), 16000, subtype="PCM_16")
    with pytest.raises(AudioError, match="zero.wav: the file has no samples"):
        read_audio(tmp_path / "zero.wav")


def test_missing_file_is_rejected(tmp_path):
    with pytest.raises(AudioError, match="nope.wav: no such file"):
        read_audio(tmp_path / "nope.wav")


def test_write_wav_round_trips_and_leaves_no_temp_file(tmp_path):
    samples = (np.random.default_rng(0).standard_normal(1000) * 1000).astype(np.int16)
    write_wav(tmp_path / "out" / "x.wav", samples, 8000)
    got, rate = read_audio(tmp_path / "out" / "x.wav")
    assert rate == 8000 and np.array_equal(got, samples)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["x.wav"]

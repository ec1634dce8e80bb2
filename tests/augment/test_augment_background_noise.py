"""Background noise: mixed at a drawn SNR over the speech span; recordings or generated noises."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import AugmentContext, BackgroundNoise, generated_noise_clips, read_noise_folder
from harken.augment.noise_mix import mean_square
from harken.errors import DatasetError, SettingsError
from tests.augment.signals import SR, db, sine


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_noise_snr_over_the_speech_is_within_range(seed):
    rng = np.random.default_rng(seed)
    buffer = np.zeros(24000, np.float32)
    buffer[10000:18000] = sine(rng.uniform(100, 3000), 8000, rng.uniform(0.01, 0.9))
    t = BackgroundNoise(p=1.0, min_snr_db=5.0, max_snr_db=30.0)
    ctx = t.prepare(AugmentContext(sample_rate_hz=SR, speech_span=(10000, 18000)))
    prm = t.sample(rng, buffer, ctx)
    noise = t.apply(buffer, prm, ctx) - buffer
    measured = db(mean_square(buffer[10000:18000]) / mean_square(noise[10000:18000]))
    assert measured == pytest.approx(prm.snr_db, abs=0.01)
    assert 5.0 - 0.01 <= measured <= 30.0 + 0.01
    assert np.all(noise[:10000] != 0)  # the warm-up holds the same noise


def test_noise_loops_a_clip_shorter_than_the_buffer():
    clip = sine(1000, 700)
    t = BackgroundNoise(p=1.0, min_snr_db=0.0, max_snr_db=0.0)
    ctx = AugmentContext(sample_rate_hz=SR, noise_clips=(clip,), speech_span=(2000, 3000))
    buffer = np.zeros(5000, np.float32)
    buffer[2000:3000] = 0.5
    y = t.apply(buffer, t.sample(np.random.default_rng(0), buffer, ctx), ctx)
    assert y.size == 5000 and np.count_nonzero(y[:2000]) > 1900


def test_noise_with_p_zero_adds_nothing():
    t = BackgroundNoise(p=0.0)
    ctx = AugmentContext(sample_rate_hz=SR, noise_clips=(np.ones(50000, np.float32),))
    x = sine(300, 1000)
    assert t.apply(x, t.sample(np.random.default_rng(0), x, ctx), ctx) is x


def test_prepare_puts_the_generated_kinds_in_the_context_only_without_recordings():
    t = BackgroundNoise(generated_kinds=("pink", "hum50"), seed=3)
    ctx = t.prepare(AugmentContext(sample_rate_hz=SR))
    assert ctx.noise_clips is generated_noise_clips(SR, kinds=("pink", "hum50"), seed=3)
    recorded = AugmentContext(sample_rate_hz=SR, noise_clips=(np.ones(100, np.float32),))
    assert t.prepare(recorded) is recorded
    assert dataclasses.replace(ctx).noise_clips is ctx.noise_clips


def test_noise_rejects_min_above_max():
    with pytest.raises(SettingsError, match="BackgroundNoise.min_snr_db=40"):
        BackgroundNoise(min_snr_db=40.0, max_snr_db=30.0)


def test_noise_rejects_an_unknown_kind_and_no_kinds():
    with pytest.raises(SettingsError, match="generated_kinds='purple'"):
        BackgroundNoise(generated_kinds=("pink", "purple"))
    with pytest.raises(SettingsError, match="generated_kinds is empty"):
        BackgroundNoise(generated_kinds=())


def test_noise_replace_validates_again():
    with pytest.raises(SettingsError, match="BackgroundNoise.p=-0.1"):
        dataclasses.replace(BackgroundNoise(), p=-0.1)


def test_noise_round_trips_through_plain_data():
    t = BackgroundNoise(p=0.5, min_snr_db=0.0, max_snr_db=20.0, generated_kinds=("pink", "hum50"), seed=4)
    assert t.to_dict()["generated_kinds"] == ["pink", "hum50"]
    assert BackgroundNoise.from_dict(t.to_dict()) == t


def test_generated_noise_clips_are_cached_and_read_only():
    a, b = generated_noise_clips(SR), generated_noise_clips(SR)
    assert a is b and not a[0].flags.writeable and a[0].dtype == np.float32


def test_read_noise_folder_reads_every_clip_at_the_rate(tmp_path):
    from harken.audio.io import write_wav

    (tmp_path / "sub").mkdir()
    write_wav(tmp_path / "a.wav", np.full(800, 0.1, np.float32), 8000)
    write_wav(tmp_path / "sub" / "b.wav", np.full(1600, -0.1, np.float32), 16000)
    (tmp_path / "notes.txt").write_text("not audio")
    clips = read_noise_folder(tmp_path, sample_rate_hz=SR)
    assert [c.size for c in clips] == [1600, 1600]
    assert all(c.dtype == np.float32 for c in clips)


def test_read_noise_folder_rejects_a_folder_without_audio(tmp_path):
    with pytest.raises(DatasetError, match="no .wav"):
        read_noise_folder(tmp_path, sample_rate_hz=SR)

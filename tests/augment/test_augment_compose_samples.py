"""Compose as the pipeline uses it: placed words, cropped-known negatives, reproducible samples."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.augment import BackgroundNoise, Compose, Gain, MicFloor, PitchShift, Placement, Reverb, Speed, Trim
from harken.augment.noise_mix import mean_square
from harken.errors import AudioError, SettingsError
from tests.augment.signals import LENGTH, SR, WINDOW, rirs, word_clip

#: Only what every sample needs: trim and placement.
BARE = [Trim(), Placement()]
#: The word transforms of the default recipe.
WORD_STAGE = [Trim(), Speed(p=0.8), PitchShift(p=0.5), Gain(p=1.0)]


def sample(aug: Compose, word: np.ndarray, key=(0, 0, 0), *, noise_clips=(), with_rirs: bool = False, length: int = LENGTH):
    context = aug.context(sample_rate_hz=SR, length=length, window_length=WINDOW, noise_clips=noise_clips,
                          rirs=rirs() if with_rirs else ())  # fmt: skip
    return aug(word, key=key, context=context)


@pytest.fixture(scope="module")
def default():
    aug = Compose()
    return aug, aug.context(sample_rate_hz=SR, length=LENGTH, window_length=WINDOW, rirs=rirs())


def test_sample_has_the_length_dtype_and_range(default):
    aug, ctx = default
    for i in range(20):
        x, _log = aug(word_clip(i), key=(0, 0, i), context=ctx)
        assert x.shape == (LENGTH,) and x.dtype == np.float32
        assert x.min() >= -1.0 and x.max() < 1.0


def test_loud_mix_is_clipped_below_full_scale():
    aug = Compose([Trim(), Gain(p=1.0, min_peak_dbfs=-0.1, max_peak_dbfs=-0.1), Placement(),
                   BackgroundNoise(p=1.0, min_snr_db=-10.0, max_snr_db=-10.0)])  # fmt: skip
    x, _ = sample(aug, word_clip())
    assert x.max() == np.float32(32767 / 32768) and x.min() >= -1.0


@given(index=st.integers(0, 10_000))
@settings(max_examples=15, deadline=None)
def test_same_key_gives_the_same_sample_and_another_index_another(default, index):
    aug, ctx = default
    word = word_clip(1)
    a, log_a = aug(word, key=(7, 0, index), context=ctx)
    b, log_b = aug(word, key=(7, 0, index), context=ctx)
    c, _ = aug(word, key=(7, 0, index + 1), context=ctx)
    assert np.array_equal(a, b) and log_a == log_b
    assert not np.array_equal(a, c)


def test_another_epoch_or_seed_gives_another_sample(default):
    aug, ctx = default
    a, _ = aug(word_clip(), key=(7, 0, 3), context=ctx)
    assert not np.array_equal(a, aug(word_clip(), key=(7, 1, 3), context=ctx)[0])
    assert not np.array_equal(a, aug(word_clip(), key=(8, 0, 3), context=ctx)[0])


def test_separate_compositions_give_the_same_sample():
    a, _ = sample(Compose(), word_clip(), key=(3,), with_rirs=True)
    b, _ = sample(Compose(), word_clip(), key=(3,), with_rirs=True)
    assert np.array_equal(a, b)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_speech_lies_in_the_window_and_the_warm_up_has_none(seed):
    x, log = sample(Compose([*WORD_STAGE, Placement()]), word_clip(seed % 5), key=(seed,))
    assert not x[: LENGTH - WINDOW].any()
    place = next(p for p in log if p["name"] == "placement")
    assert LENGTH - WINDOW <= place["offset"] and place["offset"] + place["num_samples"] <= LENGTH
    nz = np.flatnonzero(x)
    assert place["offset"] <= nz[0] and nz[-1] < place["offset"] + place["num_samples"]


def test_warm_up_holds_noise_and_floor():
    x, _ = sample(Compose([*BARE, BackgroundNoise(p=1.0), MicFloor(p=1.0)]), word_clip())
    assert np.count_nonzero(x[: LENGTH - WINDOW]) == LENGTH - WINDOW


def test_trimmed_word_is_placed_unchanged_when_everything_else_is_off():
    x, log = sample(Compose(BARE), word_clip())
    trim, place = log[0], log[1]
    word = word_clip()[trim["start"] : trim["stop"]]
    assert np.array_equal(x[place["offset"] : place["offset"] + word.size], word)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_noise_snr_is_within_range(seed):
    """With and without the noise transform: the other draws stay the same, so the difference is the noise."""
    base = [*WORD_STAGE[:3], Gain(p=1.0, max_peak_dbfs=-12.0), Placement(), Reverb(p=0.5)]
    x, log = sample(Compose([*base, BackgroundNoise(p=1.0)]), word_clip(seed % 5), key=(seed,), with_rirs=True)
    clean, _ = sample(Compose(base), word_clip(seed % 5), key=(seed,), with_rirs=True)
    place = next(p for p in log if p["name"] == "placement")
    span = slice(place["offset"], place["offset"] + place["num_samples"])
    snr = 10 * np.log10(mean_square(clean[span]) / mean_square((x - clean)[span]))
    drawn = next(p for p in log if p["name"] == "background_noise")["snr_db"]
    assert snr == pytest.approx(drawn, abs=0.05)
    assert 5.0 - 0.05 <= snr <= 30.0 + 0.05


def test_recorded_noise_clips_are_used():
    hum = (0.1 * np.sin(2 * np.pi * 1234.0 * np.arange(3 * SR) / SR)).astype(np.float32)
    x, log = sample(Compose([*BARE, BackgroundNoise(p=1.0)]), word_clip(), noise_clips=[hum])
    warm_up = x[: LENGTH - WINDOW]
    peak_hz = np.argmax(np.abs(np.fft.rfft(warm_up))) * SR / warm_up.size
    assert peak_hz == pytest.approx(1234.0, abs=2.0)
    assert next(p for p in log if p["name"] == "background_noise")["clip_index"] == 0


def test_speed_in_the_chain_changes_the_word_length_by_the_factor():
    aug = Compose([Trim(), Speed(p=1.0, min_speed_factor=1.15, max_speed_factor=1.15), Placement()])
    _, log = sample(aug, word_clip())
    trimmed = log[0]["stop"] - log[0]["start"]
    assert next(p for p in log if p["name"] == "placement")["num_samples"] == round(trimmed / 1.15)


def test_params_are_logged_as_plain_json(default):
    aug, ctx = default
    _, log = aug(word_clip(), key=(11,), context=ctx)
    assert json.loads(json.dumps(log)) == log
    names = [p["name"] for p in log]
    assert names[0] == "trim" and "placement" in names
    assert all(p["applied"] for p in log)


def test_reverb_is_logged_when_applied():
    _, log = sample(Compose([*BARE, Reverb(p=1.0)]), word_clip(), with_rirs=True)
    assert [p["name"] for p in log][-1] == "reverb"


def test_int16_input_is_accepted(default):
    aug, ctx = default
    x, _ = aug((word_clip() * 32768).astype(np.int16), key=(0,), context=ctx)
    assert x.dtype == np.float32 and x.size == LENGTH


def test_bad_audio_is_rejected(default):
    aug, ctx = default
    with pytest.raises(AudioError, match="audio"):
        aug(np.zeros((2, 100), np.float32), key=(0,), context=ctx)


def test_bad_lengths_are_rejected():
    with pytest.raises(SettingsError, match="window_length=20000"):
        Compose().context(sample_rate_hz=SR, length=16000, window_length=20000)


def test_bad_noise_clip_is_rejected():
    with pytest.raises(AudioError, match=r"noise_clips\[1\]"):
        Compose().context(sample_rate_hz=SR, length=LENGTH, window_length=WINDOW,
                          noise_clips=[np.ones(10, np.float32), np.array([np.nan])])  # fmt: skip


def test_all_zero_audio_warns(default):
    aug, ctx = default
    with pytest.warns(UserWarning, match="all zeros"):
        x, _ = aug(np.zeros(8000, np.float32), key=(0,), context=ctx)
    assert x.shape == (LENGTH,)


def test_the_callers_clip_is_left_as_it_was(default):
    aug, ctx = default
    word = word_clip()
    aug(word, key=(0,), context=ctx)
    assert np.array_equal(word, word_clip())


def test_composition_and_context_pickle_for_worker_processes(default):
    import pickle

    aug, ctx = default
    clone, clone_ctx = pickle.loads(pickle.dumps((aug, ctx)))
    a, _ = aug(word_clip(), key=(2,), context=ctx)
    b, _ = clone(word_clip(), key=(2,), context=clone_ctx)
    assert clone == aug and np.array_equal(a, b)


# ---- cropped known -----------------------------------------------------------------------------
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_cropped_known_sits_at_the_end_of_the_window(seed):
    aug = Compose([*WORD_STAGE, Placement()])
    context = aug.context(sample_rate_hz=SR, length=LENGTH, window_length=WINDOW)
    x, log = aug.make_cropped_known(word_clip(seed % 5), key=(seed,), context=context)
    crop = next(p for p in log if p["name"] == "cropped_known")
    assert crop["offset"] + crop["num_samples"] == LENGTH
    assert 0.2 <= crop["fraction"] <= 0.5
    nz = np.flatnonzero(x)
    assert nz[0] >= crop["offset"] and nz[-1] >= LENGTH - 10
    assert "placement" not in {p["name"] for p in log}


def test_cropped_known_is_the_start_of_the_trimmed_word():
    aug = Compose(BARE)
    x, log = aug.make_cropped_known(word_clip(), key=(0,), context=aug.context(sample_rate_hz=SR, length=LENGTH,
                                                                                 window_length=WINDOW))  # fmt: skip
    trim, crop = log[0], log[1]
    word = word_clip()[trim["start"] : trim["stop"]]
    assert np.array_equal(x[crop["offset"] :], word[: crop["num_samples"]])
    assert crop["num_samples"] == pytest.approx(crop["fraction"] * word.size, abs=1)


def test_cropped_known_keeps_the_word_and_buffer_draws_of_the_same_key(default):
    aug, ctx = default
    _, placed = aug(word_clip(), key=(5, 0, 9), context=ctx)
    _, cropped = aug.make_cropped_known(word_clip(), key=(5, 0, 9), context=ctx)
    assert [d for d in cropped if d["name"] != "cropped_known"] == [d for d in placed if d["name"] != "placement"]


def test_cropped_known_is_reproducible(default):
    aug, ctx = default
    a, _ = aug.make_cropped_known(word_clip(), key=(9,), context=ctx)
    b, _ = aug.make_cropped_known(word_clip(), key=(9,), context=ctx)
    assert np.array_equal(a, b)


def test_cropped_known_needs_its_settings():
    aug = Compose(cropped_known=None)
    with pytest.raises(SettingsError, match="cropped_known is None"):
        aug.make_cropped_known(word_clip(), key=(0,), context=aug.context(sample_rate_hz=SR, length=LENGTH,
                                                                          window_length=WINDOW))  # fmt: skip

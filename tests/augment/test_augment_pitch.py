"""Pitch shift: every frequency scaled, the duration kept."""

from __future__ import annotations

import numpy as np
import pytest

from harken.augment import PitchShift
from harken.errors import SettingsError
from tests.augment.signals import dominant_hz, draw, sine


@pytest.mark.parametrize("semitones", [-2.0, 1.5])
def test_pitch_shift_scales_frequency_and_keeps_length(semitones):
    x = sine(500, 16000)
    y = draw(PitchShift(p=1.0, min_semitones=semitones, max_semitones=semitones), x)
    assert y.shape == x.shape and y.dtype == np.float32
    assert dominant_hz(y[2000:-2000]) == pytest.approx(500 * 2 ** (semitones / 12), rel=0.01)


def test_pitch_shift_of_zero_semitones_is_identity():
    x = sine(500, 4000)
    assert np.array_equal(draw(PitchShift(p=1.0, min_semitones=0.0, max_semitones=0.0), x), x)


def test_pitch_shift_rejects_more_than_an_octave():
    with pytest.raises(SettingsError, match="PitchShift.max_semitones=13"):
        PitchShift(max_semitones=13.0)


def test_pitch_shift_validate_catches_changes_after_construction():
    t = PitchShift()
    t.min_semitones = 5.0
    with pytest.raises(SettingsError, match="min_semitones=5.0 > max_semitones=2.0"):
        t.validate()


def test_pitch_shift_round_trips_through_plain_data():
    t = PitchShift(p=0.25, min_semitones=-1.0, max_semitones=3.0)
    assert PitchShift.from_dict(t.to_dict()) == t

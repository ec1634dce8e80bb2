"""AugmentationSettings: defaults, checks and the dict round trip."""

from __future__ import annotations

import dataclasses
import json

import pytest

from harken.augment import AugmentationSettings
from harken.errors import SettingsError


def test_defaults_follow_the_measured_recipe():
    s = AugmentationSettings()
    assert (s.min_speed_factor, s.max_speed_factor) == (0.85, 1.15)
    assert (s.min_snr_db, s.max_snr_db, s.p_noise) == (5.0, 30.0, 0.8)
    assert (s.min_peak_dbfs, s.max_peak_dbfs) == (-30.0, -1.0)
    assert (s.min_mic_floor_dbfs, s.max_mic_floor_dbfs) == (-90.0, -60.0)
    assert s.p_reverb == 0.5
    assert (s.min_cropped_fraction, s.max_cropped_fraction) == (0.2, 0.5)


def test_settings_round_trip_through_json():
    s = AugmentationSettings(p_reverb=0.25, min_snr_db=0.0, generated_noise_kinds=("pink", "hum50"), max_num_time_masks=3)
    back = AugmentationSettings.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back == s
    assert back.to_dict() == s.to_dict()


def test_settings_reject_min_above_max():
    with pytest.raises(SettingsError, match="min_snr_db=40"):
        AugmentationSettings(min_snr_db=40.0, max_snr_db=30.0)


def test_settings_reject_probability_above_one():
    with pytest.raises(SettingsError, match="p_reverb=1.5"):
        AugmentationSettings(p_reverb=1.5)


def test_settings_reject_out_of_range_speed():
    with pytest.raises(SettingsError, match="max_speed_factor=9"):
        AugmentationSettings(max_speed_factor=9.0)


def test_settings_reject_positive_peak_level():
    with pytest.raises(SettingsError, match="max_peak_dbfs=3"):
        AugmentationSettings(max_peak_dbfs=3.0)


def test_settings_reject_fractions_over_one():
    with pytest.raises(SettingsError, match="cropped_known_fraction=0.6"):
        AugmentationSettings(cropped_known_fraction=0.6, silence_fraction=0.5)
    with pytest.raises(SettingsError, match="truncated_known_fraction=0.5"):
        AugmentationSettings(cropped_known_fraction=0.6, truncated_known_fraction=0.5, silence_fraction=0.0)
    with pytest.raises(SettingsError, match="truncated_fraction"):
        AugmentationSettings(min_truncated_fraction=0.7, max_truncated_fraction=0.5)


def test_settings_reject_unknown_noise_kind():
    with pytest.raises(SettingsError, match="'purple'"):
        AugmentationSettings(generated_noise_kinds=("pink", "purple"))


def test_settings_reject_negative_mask_count():
    with pytest.raises(SettingsError, match="max_num_freq_masks=-1"):
        AugmentationSettings(max_num_freq_masks=-1)


def test_from_dict_rejects_unknown_key_with_suggestion():
    with pytest.raises(SettingsError, match="did you mean 'p_reverb'"):
        AugmentationSettings.from_dict({"p_reverbb": 0.3})


def test_slots_turn_typos_into_attribute_errors():
    s = AugmentationSettings()
    with pytest.raises(AttributeError):
        s.p_reverbb = 0.3  # type: ignore[attr-defined]


def test_replace_validates_again():
    with pytest.raises(SettingsError, match="p_noise"):
        dataclasses.replace(AugmentationSettings(), p_noise=-0.1)


def test_validate_catches_changes_after_construction():
    s = AugmentationSettings()
    s.min_pitch_semitones = 5.0
    with pytest.raises(SettingsError, match="min_pitch_semitones=5.0 > max_pitch_semitones=2.0"):
        s.validate()

"""Compose as settings: the default recipe, order checks, the JSON round trip and one random stream per transform."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from harken.augment import (
    BackgroundNoise,
    BandLimit,
    Compose,
    CroppedKnown,
    Gain,
    MicEq,
    MicFloor,
    Narrowband,
    PitchShift,
    Placement,
    Reverb,
    SilenceNoise,
    SpecAugment,
    Speed,
    Trim,
    default_transforms,
    stream_key,
)
from harken.errors import SettingsError
from tests.augment.signals import LENGTH, SR, WINDOW, rirs, word_clip

CHANNEL = [MicEq(p=1.0), BandLimit(p=1.0), Narrowband(p=1.0)]


def everything() -> Compose:
    """Every list transform applied (p = 1 where it has a p), the channel included."""
    return Compose([Trim(), Speed(p=1.0), PitchShift(p=1.0), Gain(p=1.0), Placement(), Reverb(p=1.0),
                    BackgroundNoise(p=1.0), *CHANNEL, MicFloor(p=1.0)])  # fmt: skip


def params_by_name(aug: Compose, key=(3, 1, 7), word=None) -> dict[str, dict]:
    context = aug.context(sample_rate_hz=SR, length=LENGTH, window_length=WINDOW, rirs=rirs())
    _, log = aug(word_clip(1) if word is None else word, key=key, context=context)
    return {d["name"]: d for d in log}


# ---- the recipe --------------------------------------------------------------------------------
def test_defaults_follow_the_measured_recipe():
    aug = Compose()
    by = {type(t): t for t in aug.transforms}
    assert [type(t) for t in aug.transforms] == [Trim, Speed, PitchShift, Gain, Placement, Reverb, BackgroundNoise, MicFloor]
    assert (by[Speed].p, by[Speed].min_speed_factor, by[Speed].max_speed_factor) == (0.8, 0.85, 1.15)
    assert (by[BackgroundNoise].min_snr_db, by[BackgroundNoise].max_snr_db, by[BackgroundNoise].p) == (5.0, 30.0, 0.8)
    assert (by[Gain].min_peak_dbfs, by[Gain].max_peak_dbfs) == (-30.0, -1.0)
    assert (by[MicFloor].min_level_dbfs, by[MicFloor].max_level_dbfs) == (-90.0, -60.0)
    assert (by[Reverb].p, by[Reverb].tail_db, by[Trim].below_peak_db) == (0.5, 60.0, 40.0)
    assert (aug.cropped_known.p, aug.cropped_known.min_fraction, aug.cropped_known.max_fraction) == (0.05, 0.2, 0.5)
    assert (aug.silence.p, aug.silence.min_level_dbfs, aug.silence.max_level_dbfs) == (0.8, -75.0, -35.0)
    assert aug.spec_augment == SpecAugment()


def test_builtin_offline_spec_is_the_default_recipe_plus_the_recording_channel():
    from harken.spec.loader import find_spec

    aug = find_spec("on_off_offline").augmentation
    channel = [MicEq(p=0.5, max_gain_db=6.0), BandLimit(p=0.5), Narrowband(p=0.15)]
    assert aug == Compose([*default_transforms()[:-1], *channel, default_transforms()[-1]])


def test_model_spec_takes_a_compose_and_round_trips_it():
    from harken.spec import ModelSettings, ModelSpec

    aug = Compose([Trim(), Gain(p=0.5), Placement(), MicFloor()], cropped_known=None, silence=SilenceNoise(p=0.3))
    spec = ModelSpec(name="m", classes=("on", "off"), model=ModelSettings(architecture="cnn"), augmentation=aug)
    again = ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again.augmentation == aug
    assert ModelSpec(name="d", classes=("on", "off"), model=ModelSettings(architecture="cnn")).augmentation == Compose()


# ---- settings ----------------------------------------------------------------------------------
def test_compose_round_trips_through_json():
    aug = Compose([Trim(below_peak_db=30.0), Gain(p=0.5), Placement(p=0.9), Reverb(tail_db=40.0),
                   BackgroundNoise(generated_kinds=("pink", "hum50"), seed=2), *CHANNEL, MicFloor(seed=2)],
                  cropped_known=CroppedKnown(p=0.1), silence=None, spec_augment=SpecAugment(max_num_time_masks=3))  # fmt: skip
    data = json.loads(json.dumps(aug.to_dict()))
    assert data["transforms"][0] == {"name": "trim", "below_peak_db": 30.0} and data["silence"] is None
    back = Compose.from_dict(data)
    assert back == aug and back.to_dict() == aug.to_dict()


def test_from_dict_rejects_an_unknown_transform_with_the_closest_name():
    with pytest.raises(SettingsError, match=r"transforms\[1\]: unknown transform 'reverbb'; did you mean 'reverb'"):
        Compose.from_dict({"transforms": [{"name": "placement"}, {"name": "reverbb"}]})


def test_from_dict_rejects_an_unknown_setting_with_a_suggestion():
    with pytest.raises(SettingsError, match=r"transforms\[1\] \(Reverb\): unknown setting 'pp'; did you mean 'p'"):
        Compose.from_dict({"transforms": [{"name": "placement"}, {"name": "reverb", "pp": 0.3}]})
    with pytest.raises(SettingsError, match="did you mean 'silence'"):
        Compose.from_dict({"silense": None})


def test_from_dict_names_a_bad_value_by_its_transform_and_field():
    with pytest.raises(SettingsError, match="BackgroundNoise.min_snr_db=40"):
        Compose.from_dict({"transforms": [{"name": "placement"}, {"name": "background_noise", "min_snr_db": 40.0}]})


def test_compose_needs_exactly_one_placement():
    with pytest.raises(SettingsError, match="0 Placement transforms; keep exactly one"):
        Compose([Trim(), Gain()])
    with pytest.raises(SettingsError, match=r"2 Placement transforms \(at transforms\[0\], transforms\[2\]\)"):
        Compose([Placement(), Gain(), Placement()])


def test_compose_rejects_a_word_transform_after_the_placement():
    with pytest.raises(SettingsError, match=r"transforms\[2\] Gain acts on the dry word, so it must come before Placement"):
        Compose([Trim(), Placement(), Gain()])


def test_compose_rejects_reverb_after_something_is_mixed_in():
    with pytest.raises(SettingsError, match=r"transforms\[3\] Reverb acts on the placed speech, so it must come before "
                                            r"BackgroundNoise \(transforms\[2\]"):  # fmt: skip
        Compose([Trim(), Placement(), BackgroundNoise(), Reverb()])


def test_compose_lets_buffer_transforms_come_in_any_order():
    Compose([Placement(), MicFloor(), BandLimit(), BackgroundNoise(), MicEq()])


def test_compose_points_a_negative_or_mask_in_the_list_to_its_own_setting():
    with pytest.raises(SettingsError, match=r"transforms\[1\] is a CroppedKnown, which is not a list transform; "
                                            r"set Compose\(\.\.\., cropped_known=CroppedKnown"):  # fmt: skip
        Compose([Placement(), CroppedKnown()])
    with pytest.raises(SettingsError, match=r"transforms\[0\] is a str; use one of Trim, Speed"):
        Compose(["trim", Placement()])
    with pytest.raises(SettingsError, match="Compose.silence is a MicFloor; use SilenceNoise"):
        Compose(silence=MicFloor())


def test_compose_validate_catches_a_transform_changed_after_construction():
    aug = Compose()
    aug.transforms[1].min_speed_factor = 2.0
    with pytest.raises(SettingsError, match="min_speed_factor=2.0 > max_speed_factor=1.15"):
        aug.validate()


def test_slots_turn_typos_into_attribute_errors():
    with pytest.raises(AttributeError):
        Reverb().pp = 0.3  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        Compose().transformz = []  # type: ignore[attr-defined]


def test_replace_validates_again():
    with pytest.raises(SettingsError, match="Reverb.p=1.5"):
        dataclasses.replace(Reverb(), p=1.5)


# ---- one random stream per transform -----------------------------------------------------------
def test_stream_keys_come_from_the_name_and_occurrence_not_the_position():
    assert stream_key("reverb") == stream_key("reverb", 0) != stream_key("reverb", 1) != stream_key("gain")
    assert stream_key("reverb") == 3429174451  # stable across runs and machines (crc32)


def test_removing_a_transform_leaves_the_others_draws_unchanged():
    full = params_by_name(everything())
    for i, removed in enumerate(everything().transforms):
        if isinstance(removed, Placement):
            continue  # required
        fewer = everything()
        del fewer.transforms[i]
        # trim and speed change the word's length, which the placement depends on
        changed = {removed.name, "placement"} if isinstance(removed, (Trim, Speed)) else {removed.name}
        assert {k: v for k, v in params_by_name(fewer).items() if k not in changed} == \
            {k: v for k, v in full.items() if k not in changed}


def test_adding_the_channel_leaves_the_other_draws_unchanged():
    base = params_by_name(Compose())
    with_channel = params_by_name(Compose([*default_transforms()[:-1], *CHANNEL, default_transforms()[-1]]))
    channel = {"mic_eq", "band_limit", "narrowband"}
    assert {k: v for k, v in with_channel.items() if k not in channel} == base
    assert channel <= set(with_channel)


def test_moving_a_buffer_transform_leaves_every_draw_unchanged():
    moved = everything()
    moved.transforms[6:10] = [moved.transforms[9], moved.transforms[6], moved.transforms[8], moved.transforms[7]]
    assert params_by_name(moved) == params_by_name(everything())


def test_a_repeated_transform_draws_from_its_own_stream():
    aug = Compose([Trim(), Placement(), MicFloor(p=1.0), MicFloor(p=1.0)])
    context = aug.context(sample_rate_hz=SR, length=LENGTH, window_length=WINDOW)
    _, log = aug(word_clip(), key=(0, 0, 0), context=context)
    floors = [d for d in log if d["name"] == "mic_floor"]
    assert len(floors) == 2 and floors[0] != floors[1]


def test_picks_cropped_known_follows_its_share():
    aug = Compose(cropped_known=CroppedKnown(p=0.25))
    picks = [aug.picks_cropped_known((1, 0, i)) for i in range(2000)]
    assert 0.21 < np.mean(picks) < 0.29
    assert picks == [aug.picks_cropped_known((1, 0, i)) for i in range(2000)]
    assert not any(Compose(cropped_known=None).picks_cropped_known((1, 0, i)) for i in range(50))
    assert all(Compose(cropped_known=CroppedKnown(p=1.0)).picks_cropped_known((1, 0, i)) for i in range(50))


def test_bad_keys_are_rejected():
    with pytest.raises(SettingsError, match="non-negative integers"):
        Compose().picks_cropped_known((1, -2, 3))
    with pytest.raises(SettingsError, match="non-negative integers"):
        Compose().mask_spectrogram(np.zeros((4, 4), np.int8), key=(0.5,))

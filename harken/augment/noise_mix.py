"""Background noise: mix a noise at a drawn signal-to-noise ratio into a buffer holding speech.

In: the float32 buffer (speech already placed, reverb included), the noise clips of the context
(recordings such as Speech Commands' ``_background_noise_``, else generated ones) and the speech
span ``[start, stop)``. Out: buffer + noise over the whole buffer, the noise scaled so that
``10*log10(mean(speech**2) / mean(noise**2))`` over the speech span is the drawn ``snr_db``.
A piece of the buffer's length is cut from the chosen clip at a drawn start (a clip shorter than
the buffer is looped). Without recordings, ``prepare`` puts the coloured noises and hum of
``harken.datasets.noise`` (``generated_kinds``, rendered once per process by
``generated_noise_clips``) into the context, where generated silence finds them too.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from harken._util.settings import check_choice, check_count, check_probability, check_range
from harken.augment.base import BUFFER, AugmentContext, Transform, integer, uniform
from harken.datasets.noise import NOISE_KINDS, make_noise
from harken.errors import DatasetError, SettingsError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")

#: Generated noise kinds used when no recordings are given (the mic floor is a separate stage).
DEFAULT_NOISE_KINDS = ("white", "pink", "brown", "blue", "violet", "hum50", "hum60")


@dataclass(frozen=True, slots=True)
class BackgroundNoiseParams:
    applied: bool
    clip_index: int
    start: int
    snr_db: float


@dataclass(slots=True, kw_only=True)
class BackgroundNoise(Transform):
    """Noise clip, start and SNR drawn uniformly, with probability ``p``.

    ``generated_kinds`` and ``seed`` choose the generated noises used when the context holds no
    recordings.

    Examples
    --------
    >>> t = BackgroundNoise(p=1.0, min_snr_db=10.0, max_snr_db=10.0)
    >>> ctx = t.prepare(AugmentContext(sample_rate_hz=16000))
    >>> t.sample(np.random.default_rng(0), np.zeros(16000, np.float32), ctx).snr_db
    10.0
    """

    name: ClassVar[str] = "background_noise"
    stage: ClassVar[str] = BUFFER
    p: float = 0.8
    min_snr_db: float = 5.0
    max_snr_db: float = 30.0
    generated_kinds: tuple[str, ...] = DEFAULT_NOISE_KINDS
    seed: int = 0

    def __post_init__(self) -> None:
        self.generated_kinds = tuple(self.generated_kinds)
        self.validate()

    def validate(self) -> None:
        check_probability(self, "p")
        check_range(self, "snr_db", lo=-30.0, hi=100.0, unit=" dB")
        if not self.generated_kinds:
            raise SettingsError(f"BackgroundNoise.generated_kinds is empty; name at least one of {', '.join(NOISE_KINDS)}")
        for kind in self.generated_kinds:
            check_choice(self, "generated_kinds", kind, choices=NOISE_KINDS)
        check_count(self, "seed", hi=2**63 - 1)

    def prepare(self, context: AugmentContext) -> AugmentContext:
        """The context with the generated noises as its clips when it holds no recordings."""
        if context.noise_clips:
            return context
        clips = generated_noise_clips(context.sample_rate_hz, kinds=tuple(self.generated_kinds), seed=self.seed)
        return dataclasses.replace(context, noise_clips=clips)

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> BackgroundNoiseParams:
        u = rng.random(4)
        clips = self.prepare(context).noise_clips
        index = integer(u[1], 0, len(clips) - 1)
        return BackgroundNoiseParams(
            applied=bool(u[0] < self.p),
            clip_index=index,
            start=draw_start(u[2], clips[index].size, audio.size),
            snr_db=uniform(u[3], self.min_snr_db, self.max_snr_db),
        )

    def apply(self, audio: np.ndarray, params: BackgroundNoiseParams, context: AugmentContext) -> np.ndarray:
        if not params.applied:
            return audio
        noise = segment(self.prepare(context).noise_clips[params.clip_index], params.start, audio.size)
        start, stop = context.speech_span or (0, audio.size)
        speech_power = mean_square(audio[start:stop])
        noise_power = mean_square(noise[start:stop]) or mean_square(noise)
        if speech_power == 0.0 or noise_power == 0.0:
            return audio
        scale = np.sqrt(speech_power / (noise_power * 10.0 ** (params.snr_db / 10.0)))
        return audio + noise * np.float32(scale)


def mean_square(x: np.ndarray) -> float:
    """Mean of ``x**2`` (0.0 for an empty array)."""
    return float(np.dot(x, x)) / x.size if x.size else 0.0


def draw_start(u: float, clip_length: int, length: int) -> int:
    """Start of a ``length``-sample piece of a clip: anywhere it fits, else anywhere (looped)."""
    return integer(u, 0, clip_length - length) if clip_length >= length else integer(u, 0, clip_length - 1)


def segment(clip: np.ndarray, start: int, length: int) -> np.ndarray:
    """``length`` samples of ``clip`` from ``start``, looping round a clip that is too short."""
    if start + length <= clip.size:
        return clip[start : start + length]
    return clip[(start + np.arange(length)) % clip.size]


@functools.lru_cache(maxsize=8)
def generated_noise_clips(
    sample_rate_hz: int, *, kinds: tuple[str, ...] = DEFAULT_NOISE_KINDS, seed: int = 0, duration_s: float = 5.0
) -> tuple[np.ndarray, ...]:
    """One clip per noise kind (float32, -20 dBFS RMS), kind i drawn from ``default_rng([seed, i])``.

    Cached per process: building them takes ~50 ms, after which a mix is a slice and a scale.
    The arrays are read-only.
    """
    clips = []
    for i, kind in enumerate(kinds):
        clip = make_noise(kind, round(duration_s * sample_rate_hz), sample_rate_hz=sample_rate_hz, rms_db=-20.0,
                          rng=np.random.default_rng([seed, i]))  # fmt: skip
        clip.flags.writeable = False
        clips.append(clip)
    return tuple(clips)


def read_noise_folder(folder: str | os.PathLike, *, sample_rate_hz: int) -> list[np.ndarray]:
    """Every audio file under ``folder`` (recursively, sorted by path) as float32 at ``sample_rate_hz``.

    For ``noise_clips``: e.g. Speech Commands' ``_background_noise_`` folder or the dev board's
    "silence" recordings. Raises DatasetError when the folder is missing or holds no audio.
    """
    from harken.audio.io import read_audio

    root = Path(folder)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such noise folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    if not files:
        raise DatasetError(f"{root}: no .wav/.flac/.ogg files; point to a folder of background recordings")
    return [read_audio(f, sample_rate_hz=sample_rate_hz, dtype="float32")[0] for f in files]

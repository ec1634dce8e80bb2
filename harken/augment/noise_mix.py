"""Background noise: mix a noise at a drawn signal-to-noise ratio into a buffer holding speech.

In: the float32 buffer (speech already placed, reverb included), the noise clips (recordings such as
Speech Commands' ``_background_noise_``, or generated ones) and the span ``[start, stop)`` where the
speech sits. Out: buffer + noise over the whole buffer, the noise scaled so that
``10*log10(mean(speech**2) / mean(noise**2))`` over the speech span is the drawn ``snr_db``.
A piece of ``length`` samples is cut from the chosen clip at a drawn start (a clip shorter than the
buffer is looped). ``generated_noise_clips`` renders the coloured noises and hum of
``harken.datasets.noise`` once per process (cached), for when no recordings are given.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harken.augment._checks import check_probability, check_range, integer, uniform
from harken.datasets.noise import NOISE_KINDS, make_noise
from harken.errors import DatasetError

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
class BackgroundNoise:
    """Noise clip, start and SNR drawn uniformly, with probability ``p``.

    Examples
    --------
    >>> t = BackgroundNoise(p=1.0, min_snr_db=10.0, max_snr_db=10.0)
    >>> prm = t.sample(np.random.default_rng(0), clip_lengths=[48000], length=16000)
    >>> prm.snr_db
    10.0
    """

    name = "background_noise"
    p: float = 0.8
    min_snr_db: float = 5.0
    max_snr_db: float = 30.0

    def __post_init__(self) -> None:
        check_probability("BackgroundNoise", "p", self.p)
        check_range("BackgroundNoise", "snr_db", self.min_snr_db, self.max_snr_db, lo=-30.0, hi=100.0, unit=" dB")

    def sample(self, rng: np.random.Generator, *, clip_lengths: Sequence[int], length: int) -> BackgroundNoiseParams:
        u = rng.random(4)
        if not clip_lengths:
            return BackgroundNoiseParams(applied=False, clip_index=-1, start=0, snr_db=0.0)
        index = integer(u[1], 0, len(clip_lengths) - 1)
        return BackgroundNoiseParams(
            applied=bool(u[0] < self.p),
            clip_index=index,
            start=draw_start(u[2], clip_lengths[index], length),
            snr_db=uniform(u[3], self.min_snr_db, self.max_snr_db),
        )

    @staticmethod
    def apply(
        audio: np.ndarray,
        params: BackgroundNoiseParams,
        *,
        sample_rate_hz: int,
        noise_clip: np.ndarray,
        speech_span: tuple[int, int],
    ) -> np.ndarray:
        if not params.applied:
            return audio
        noise = segment(noise_clip, params.start, audio.size)
        start, stop = speech_span
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


__all__ = [
    "DEFAULT_NOISE_KINDS",
    "NOISE_KINDS",
    "BackgroundNoise",
    "BackgroundNoiseParams",
    "generated_noise_clips",
    "read_noise_folder",
]

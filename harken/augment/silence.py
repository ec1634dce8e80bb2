"""Generated ``_silence_``: background noise at a low absolute level plus the mic floor, no speech.

In: a buffer length, the settings and (optionally) noise recordings. Out: float32 audio of
``length`` samples in [-1, 1): with probability ``p_silence_noise`` a piece of a noise clip at an
RMS level drawn in [min_silence_noise_dbfs, max_silence_noise_dbfs] dBFS, then the mic floor
(``p_mic_floor``, its own level range), as for every other sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_probability, check_range, integer, uniform
from harken.augment.base import params_to_dict
from harken.augment.mic_floor import MicFloor, mic_floor_clip, scaled_segment
from harken.augment.noise_mix import draw_start, generated_noise_clips
from harken.augment.settings import AugmentationSettings

#: Largest float32 sample below full scale in int16 terms (32767 / 32768).
MAX_SAMPLE = np.float32(32767.0 / 32768.0)


@dataclass(frozen=True, slots=True)
class SilenceNoiseParams:
    applied: bool
    clip_index: int
    start: int
    level_dbfs: float


@dataclass(slots=True, kw_only=True)
class SilenceNoise:
    """A noise clip at an absolute RMS level drawn in [min_level_dbfs, max_level_dbfs], with ``p``.

    Examples
    --------
    >>> t = SilenceNoise(p=1.0, min_level_dbfs=-50.0, max_level_dbfs=-50.0)
    >>> t.sample(np.random.default_rng(0), clip_lengths=[32000], length=16000).level_dbfs
    -50.0
    """

    name = "silence_noise"
    p: float = 0.8
    min_level_dbfs: float = -75.0
    max_level_dbfs: float = -35.0

    def __post_init__(self) -> None:
        check_probability("SilenceNoise", "p", self.p)
        check_range("SilenceNoise", "level_dbfs", self.min_level_dbfs, self.max_level_dbfs, lo=-140.0, hi=0.0, unit=" dBFS")

    def sample(self, rng: np.random.Generator, *, clip_lengths: Sequence[int], length: int) -> SilenceNoiseParams:
        u = rng.random(4)
        if not clip_lengths:
            return SilenceNoiseParams(applied=False, clip_index=-1, start=0, level_dbfs=0.0)
        index = integer(u[1], 0, len(clip_lengths) - 1)
        return SilenceNoiseParams(
            applied=bool(u[0] < self.p),
            clip_index=index,
            start=draw_start(u[2], clip_lengths[index], length),
            level_dbfs=uniform(u[3], self.min_level_dbfs, self.max_level_dbfs),
        )

    @staticmethod
    def apply(audio: np.ndarray, params: SilenceNoiseParams, *, sample_rate_hz: int, noise_clip: np.ndarray) -> np.ndarray:
        if not params.applied:
            return audio
        return audio + scaled_segment(noise_clip, params.start, audio.size, params.level_dbfs)


def make_silence(
    length: int,
    *,
    rng: np.random.Generator,
    sample_rate_hz: int,
    settings: AugmentationSettings,
    noise_clips: Sequence[np.ndarray] = (),
) -> tuple[np.ndarray, list[dict]]:
    """A ``_silence_`` sample: background noise and/or the mic floor only, at random low levels.

    Parameters
    ----------
    length : int > 0
        Samples in the buffer (warm-up + model window).
    rng : numpy.random.Generator
    sample_rate_hz : int > 0
    settings : AugmentationSettings
    noise_clips : sequence of np.ndarray [shape=(n,), float32]
        Background recordings; empty: the generated noises of ``settings.generated_noise_kinds``.

    Returns
    -------
    audio : np.ndarray [shape=(length,), float32] in [-1, 1)
    params : list of dict, the applied transforms' params

    Examples
    --------
    >>> x, log = make_silence(16000, rng=np.random.default_rng(0), sample_rate_hz=16000, settings=AugmentationSettings())
    >>> x.shape, x.dtype.name
    ((16000,), 'float32')
    """
    settings.validate()
    clips = list(noise_clips) or list(generated_noise_clips(
        sample_rate_hz, kinds=settings.generated_noise_kinds, seed=settings.generated_noise_seed))  # fmt: skip
    floor_clip = mic_floor_clip(sample_rate_hz, seed=settings.generated_noise_seed)
    return silence_from(length, rng=rng, sample_rate_hz=sample_rate_hz, settings=settings, noise_clips=clips, floor_clip=floor_clip)


def silence_from(
    length: int,
    *,
    rng: np.random.Generator,
    sample_rate_hz: int,
    settings: AugmentationSettings,
    noise_clips: Sequence[np.ndarray],
    floor_clip: np.ndarray,
) -> tuple[np.ndarray, list[dict]]:
    """``make_silence`` with the noise and floor clips already chosen (used by the augmenter)."""
    noise = SilenceNoise(p=settings.p_silence_noise, min_level_dbfs=settings.min_silence_noise_dbfs,
                         max_level_dbfs=settings.max_silence_noise_dbfs)  # fmt: skip
    floor = MicFloor(p=settings.p_mic_floor, min_level_dbfs=settings.min_mic_floor_dbfs, max_level_dbfs=settings.max_mic_floor_dbfs)
    noise_params = noise.sample(rng, clip_lengths=[c.size for c in noise_clips], length=length)
    floor_params = floor.sample(rng, clip_length=floor_clip.size, length=length)
    audio = np.zeros(length, np.float32)
    log = []
    if noise_params.applied:
        audio = noise.apply(audio, noise_params, sample_rate_hz=sample_rate_hz, noise_clip=noise_clips[noise_params.clip_index])
        log.append(params_to_dict(noise.name, noise_params))
    if floor_params.applied:
        audio = floor.apply(audio, floor_params, sample_rate_hz=sample_rate_hz, floor_clip=floor_clip)
        log.append(params_to_dict(floor.name, floor_params))
    return np.clip(audio, -1.0, MAX_SAMPLE, out=audio), log

"""Generated ``_silence_``: background noise at a low absolute level, no speech.

In: a zero buffer and the noise clips of the context (recordings, else the generated noises that
``BackgroundNoise.prepare`` put there). Out: buffer + a piece of a noise clip at an RMS level
drawn in [min_level_dbfs, max_level_dbfs] dBFS, with probability ``p``. ``Compose.make_silence``
starts from zeros, adds this and then the mic floor, as for every other sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_probability, check_range
from harken.augment.base import BUFFER, AugmentContext, Transform, integer, uniform
from harken.augment.mic_floor import scaled_segment
from harken.augment.noise_mix import draw_start


@dataclass(frozen=True, slots=True)
class SilenceNoiseParams:
    applied: bool
    clip_index: int
    start: int
    level_dbfs: float


@dataclass(slots=True, kw_only=True)
class SilenceNoise(Transform):
    """A noise clip at an absolute RMS level drawn in [min_level_dbfs, max_level_dbfs], with ``p``.

    Examples
    --------
    >>> t = SilenceNoise(p=1.0, min_level_dbfs=-50.0, max_level_dbfs=-50.0)
    >>> ctx = AugmentContext(sample_rate_hz=16000, noise_clips=(np.ones(32000, np.float32),))
    >>> t.sample(np.random.default_rng(0), np.zeros(16000, np.float32), ctx).level_dbfs
    -50.0
    """

    name: ClassVar[str] = "silence_noise"
    stage: ClassVar[str] = BUFFER
    p: float = 0.8
    min_level_dbfs: float = -75.0
    max_level_dbfs: float = -35.0

    def validate(self) -> None:
        check_probability(self, "p")
        check_range(self, "level_dbfs", lo=-140.0, hi=0.0, unit=" dBFS")

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> SilenceNoiseParams:
        u = rng.random(4)
        clips = context.noise_clips
        if not clips:
            return SilenceNoiseParams(applied=False, clip_index=-1, start=0, level_dbfs=0.0)
        index = integer(u[1], 0, len(clips) - 1)
        return SilenceNoiseParams(
            applied=bool(u[0] < self.p),
            clip_index=index,
            start=draw_start(u[2], clips[index].size, audio.size),
            level_dbfs=uniform(u[3], self.min_level_dbfs, self.max_level_dbfs),
        )

    def apply(self, audio: np.ndarray, params: SilenceNoiseParams, context: AugmentContext) -> np.ndarray:
        if not params.applied:
            return audio
        clip = context.noise_clips[params.clip_index]
        return audio + scaled_segment(clip, params.start, audio.size, params.level_dbfs)

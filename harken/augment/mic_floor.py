"""Microphone noise floor: add a microphone's self-noise at an absolute level (dBFS RMS).

In: a float32 buffer. Out: buffer + a piece of a long mic-noise clip (mostly white with some pink,
20 Hz high-pass: ``harken.datasets.noise.mic_noise_floor``, drawn from ``seed``) scaled to
``level_dbfs`` RMS over the buffer. The level is absolute, not relative to the speech, like the
dev-board "silence" recordings mixed into every sample so they sound as if captured by that
microphone. Added last, dry, and to generated silence too (``in_silence``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_count, check_probability, check_range
from harken.augment.base import BUFFER, AugmentContext, Transform, uniform
from harken.augment.noise_mix import draw_start, mean_square, segment
from harken.datasets.noise import mic_noise_floor


@dataclass(frozen=True, slots=True)
class MicFloorParams:
    applied: bool
    start: int
    level_dbfs: float


@dataclass(slots=True, kw_only=True)
class MicFloor(Transform):
    """Floor level drawn uniformly in [min_level_dbfs, max_level_dbfs], with probability ``p``.

    Examples
    --------
    >>> t, ctx = MicFloor(p=1.0, min_level_dbfs=-60.0, max_level_dbfs=-60.0), AugmentContext(sample_rate_hz=16000)
    >>> x = np.zeros(8000, np.float32)
    >>> y = t.apply(x, t.sample(np.random.default_rng(0), x, ctx), ctx)
    >>> round(float(10 * np.log10(np.mean(y.astype(np.float64) ** 2))), 1)
    -60.0
    """

    name: ClassVar[str] = "mic_floor"
    stage: ClassVar[str] = BUFFER
    in_silence: ClassVar[bool] = True
    p: float = 1.0
    min_level_dbfs: float = -90.0
    max_level_dbfs: float = -60.0
    seed: int = 0

    def validate(self) -> None:
        check_probability(self, "p")
        check_range(self, "level_dbfs", lo=-140.0, hi=0.0, unit=" dBFS")
        check_count(self, "seed", hi=2**63 - 1)

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> MicFloorParams:
        u = rng.random(3)
        clip = mic_floor_clip(context.sample_rate_hz, seed=self.seed)
        return MicFloorParams(
            applied=bool(u[0] < self.p),
            start=draw_start(u[1], clip.size, audio.size),
            level_dbfs=uniform(u[2], self.min_level_dbfs, self.max_level_dbfs),
        )

    def apply(self, audio: np.ndarray, params: MicFloorParams, context: AugmentContext) -> np.ndarray:
        if not params.applied:
            return audio
        clip = mic_floor_clip(context.sample_rate_hz, seed=self.seed)
        return audio + scaled_segment(clip, params.start, audio.size, params.level_dbfs)


def scaled_segment(clip: np.ndarray, start: int, length: int, level_dbfs: float) -> np.ndarray:
    """A ``length``-sample piece of ``clip`` from ``start``, scaled to ``level_dbfs`` RMS (float32)."""
    piece = segment(clip, start, length)
    power = mean_square(piece)
    if power == 0.0:
        return np.zeros(length, np.float32)
    return piece * np.float32(10.0 ** (level_dbfs / 20.0) / np.sqrt(power))


@functools.lru_cache(maxsize=4)
def mic_floor_clip(sample_rate_hz: int, *, seed: int = 0, duration_s: float = 5.0) -> np.ndarray:
    """A read-only float32 mic-noise clip at -20 dBFS RMS, cached per process."""
    clip = mic_noise_floor(round(duration_s * sample_rate_hz), sample_rate_hz=sample_rate_hz, rms_db=-20.0,
                           rng=np.random.default_rng([seed, 1_000]))  # fmt: skip
    clip.flags.writeable = False
    return clip

"""Speed: play a word faster or slower (tempo and pitch together), by soxr resampling.

In: float32 audio. Out: float32 audio of ``round(n / factor)`` samples (factor 1.15 is 15 % faster,
so shorter and higher). Drawn factors are rounded to steps of ``FACTOR_STEP`` (0.005): soxr "HQ"
designs its filter per ratio, and simple ratios keep it at ~0.14 ms for a 0.8 s word at 16 kHz
(an arbitrary ratio costs ~0.4 ms). ``apply`` takes any factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_probability, check_range
from harken.augment.base import WORD, AugmentContext, Transform, uniform

FACTOR_STEP = 0.005


@dataclass(frozen=True, slots=True)
class SpeedParams:
    applied: bool
    factor: float


@dataclass(slots=True, kw_only=True)
class Speed(Transform):
    """Speed factor drawn uniformly in [min_speed_factor, max_speed_factor], with probability ``p``.

    Examples
    --------
    >>> s, ctx = Speed(p=1.0, min_speed_factor=1.25, max_speed_factor=1.25), AugmentContext(sample_rate_hz=16000)
    >>> x = np.zeros(1000, np.float32)
    >>> len(s.apply(x, s.sample(np.random.default_rng(0), x, ctx), ctx))
    800
    """

    name: ClassVar[str] = "speed"
    stage: ClassVar[str] = WORD
    p: float = 1.0
    min_speed_factor: float = 0.85
    max_speed_factor: float = 1.15

    def validate(self) -> None:
        check_probability(self, "p")
        check_range(self, "speed_factor", lo=0.25, hi=4.0)

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> SpeedParams:
        u = rng.random(2)
        low, high = self.min_speed_factor, self.max_speed_factor
        factor = round(uniform(u[1], low, high) / FACTOR_STEP) * FACTOR_STEP
        return SpeedParams(applied=bool(u[0] < self.p), factor=round(min(max(factor, low), high), 6))

    def apply(self, audio: np.ndarray, params: SpeedParams, context: AugmentContext) -> np.ndarray:
        if not params.applied or params.factor == 1.0 or audio.size < 2:
            return audio
        import soxr

        rate = context.sample_rate_hz
        y = soxr.resample(audio, rate * params.factor, rate, quality="HQ")
        target = max(1, round(audio.size / params.factor))
        if y.size != target:  # soxr rounds the output length its own way; make it exact
            y = y[:target] if y.size > target else np.concatenate([y, np.zeros(target - y.size, y.dtype)])
        return y.astype(np.float32, copy=False)

"""Speed: play a clip faster or slower (tempo and pitch together), by soxr resampling.

In: float32 audio. Out: float32 audio of ``round(n / factor)`` samples (factor 1.15 is 15 % faster,
so shorter and higher). Drawn factors are rounded to steps of ``FACTOR_STEP`` (0.005): soxr "HQ"
designs its filter per ratio, and simple ratios keep it at ~0.14 ms for a 0.8 s word at 16 kHz
(an arbitrary ratio costs ~0.4 ms). ``apply`` takes any factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_probability, check_range, uniform

FACTOR_STEP = 0.005


@dataclass(frozen=True, slots=True)
class SpeedParams:
    applied: bool
    factor: float


@dataclass(slots=True, kw_only=True)
class Speed:
    """Speed factor drawn uniformly in [min_factor, max_factor], with probability ``p``.

    Examples
    --------
    >>> s = Speed(p=1.0, min_factor=1.25, max_factor=1.25)
    >>> len(s.apply(np.zeros(1000, np.float32), s.sample(np.random.default_rng(0)), sample_rate_hz=16000))
    800
    """

    name = "speed"
    p: float = 1.0
    min_factor: float = 0.85
    max_factor: float = 1.15

    def __post_init__(self) -> None:
        check_probability("Speed", "p", self.p)
        check_range("Speed", "factor", self.min_factor, self.max_factor, lo=0.25, hi=4.0)

    def sample(self, rng: np.random.Generator) -> SpeedParams:
        u = rng.random(2)
        factor = round(uniform(u[1], self.min_factor, self.max_factor) / FACTOR_STEP) * FACTOR_STEP
        factor = round(min(max(factor, self.min_factor), self.max_factor), 6)
        return SpeedParams(applied=bool(u[0] < self.p), factor=factor)

    @staticmethod
    def apply(audio: np.ndarray, params: SpeedParams, *, sample_rate_hz: int) -> np.ndarray:
        if not params.applied or params.factor == 1.0 or audio.size < 2:
            return audio
        import soxr

        y = soxr.resample(audio, sample_rate_hz * params.factor, sample_rate_hz, quality="HQ")
        target = max(1, round(audio.size / params.factor))
        if y.size != target:  # soxr rounds the output length its own way; make it exact
            y = y[:target] if y.size > target else np.concatenate([y, np.zeros(target - y.size, y.dtype)])
        return y.astype(np.float32, copy=False)

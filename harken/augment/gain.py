"""Gain: scale a word so its peak sits at a drawn level in dBFS (full scale = 1.0).

In: float32 audio. Out: float32 audio whose largest absolute sample is ``10**(peak_dbfs/20)``.
A peak target (not a relative gain) keeps every clip inside [-1, 1) whatever its recorded level;
an all-zero clip stays silent. Noise, reverb and the floor added later can raise the peak again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_probability, check_range
from harken.augment.base import WORD, AugmentContext, Transform, peak, uniform


@dataclass(frozen=True, slots=True)
class GainParams:
    applied: bool
    peak_dbfs: float


@dataclass(slots=True, kw_only=True)
class Gain(Transform):
    """Peak level drawn uniformly in [min_peak_dbfs, max_peak_dbfs] dBFS, with probability ``p``.

    Examples
    --------
    >>> g, ctx = Gain(p=1.0, min_peak_dbfs=-6.0, max_peak_dbfs=-6.0), AugmentContext(sample_rate_hz=16000)
    >>> x = np.array([0.1, -0.2], np.float32)
    >>> round(float(np.max(np.abs(g.apply(x, g.sample(np.random.default_rng(0), x, ctx), ctx)))), 4)
    0.5012
    """

    name: ClassVar[str] = "gain"
    stage: ClassVar[str] = WORD
    p: float = 1.0
    min_peak_dbfs: float = -30.0
    max_peak_dbfs: float = -1.0

    def validate(self) -> None:
        check_probability(self, "p")
        check_range(self, "peak_dbfs", lo=-120.0, hi=0.0, unit=" dBFS")

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> GainParams:
        u = rng.random(2)
        return GainParams(applied=bool(u[0] < self.p), peak_dbfs=uniform(u[1], self.min_peak_dbfs, self.max_peak_dbfs))

    def apply(self, audio: np.ndarray, params: GainParams, context: AugmentContext) -> np.ndarray:
        if not params.applied:
            return audio
        current = peak(audio)
        if current == 0.0:
            return audio
        return (audio * np.float32(10.0 ** (params.peak_dbfs / 20.0) / current)).astype(np.float32, copy=False)

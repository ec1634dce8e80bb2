"""Gain: scale a clip so its peak sits at a drawn level in dBFS (full scale = 1.0).

In: float32 audio. Out: float32 audio whose largest absolute sample is ``10**(peak_dbfs/20)``.
A peak target (not a relative gain) keeps every clip inside [-1, 1) whatever its recorded level;
an all-zero clip stays silent. Noise, reverb and the floor added later can raise the peak again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_probability, check_range, uniform
from harken.augment.base import peak


@dataclass(frozen=True, slots=True)
class GainParams:
    applied: bool
    peak_dbfs: float


@dataclass(slots=True, kw_only=True)
class Gain:
    """Peak level drawn uniformly in [min_peak_dbfs, max_peak_dbfs] dBFS, with probability ``p``.

    Examples
    --------
    >>> g = Gain(p=1.0, min_peak_dbfs=-6.0, max_peak_dbfs=-6.0)
    >>> y = g.apply(np.array([0.1, -0.2], np.float32), g.sample(np.random.default_rng(0)), sample_rate_hz=16000)
    >>> round(float(np.max(np.abs(y))), 4)
    0.5012
    """

    name = "gain"
    p: float = 1.0
    min_peak_dbfs: float = -30.0
    max_peak_dbfs: float = -1.0

    def __post_init__(self) -> None:
        check_probability("Gain", "p", self.p)
        check_range("Gain", "peak_dbfs", self.min_peak_dbfs, self.max_peak_dbfs, lo=-120.0, hi=0.0, unit=" dBFS")

    def sample(self, rng: np.random.Generator) -> GainParams:
        u = rng.random(2)
        return GainParams(applied=bool(u[0] < self.p), peak_dbfs=uniform(u[1], self.min_peak_dbfs, self.max_peak_dbfs))

    @staticmethod
    def apply(audio: np.ndarray, params: GainParams, *, sample_rate_hz: int) -> np.ndarray:
        if not params.applied:
            return audio
        current = peak(audio)
        if current == 0.0:
            return audio
        return (audio * np.float32(10.0 ** (params.peak_dbfs / 20.0) / current)).astype(np.float32, copy=False)

"""Band limiting: a high-pass and a low-pass filter with drawn corners, like a cheap microphone path.

In: float32 audio. Out: float32 audio of the same length, filtered causally by 4th-order
Butterworth sections: a high-pass at ``min_highpass_hz``..``max_highpass_hz`` (small capsules,
wind filters) and a low-pass at ``min_lowpass_hz``..``max_lowpass_hz`` (codecs, anti-alias
filters, distant talkers). Corners are drawn evenly in log frequency; a low-pass corner at or
above 0.45 x the sample rate is left out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_probability, check_range
from harken.augment.base import BUFFER, AugmentContext, Transform, log_uniform


@dataclass(frozen=True, slots=True)
class BandLimitParams:
    applied: bool
    highpass_hz: float
    lowpass_hz: float


@dataclass(slots=True, kw_only=True)
class BandLimit(Transform):
    """High-pass and low-pass corners drawn in their ranges, with probability ``p``.

    Examples
    --------
    >>> t, ctx = BandLimit(p=1.0, min_lowpass_hz=3000.0, max_lowpass_hz=3000.0), AugmentContext(sample_rate_hz=16000)
    >>> round(t.sample(np.random.default_rng(0), np.zeros(100, np.float32), ctx).lowpass_hz, 6)
    3000.0
    """

    name: ClassVar[str] = "band_limit"
    stage: ClassVar[str] = BUFFER
    p: float = 0.5
    min_highpass_hz: float = 100.0
    max_highpass_hz: float = 400.0
    min_lowpass_hz: float = 3000.0
    max_lowpass_hz: float = 7000.0

    def validate(self) -> None:
        check_probability(self, "p")
        check_range(self, "highpass_hz", lo=10.0, hi=2000.0, unit=" Hz")
        check_range(self, "lowpass_hz", lo=1000.0, hi=24000.0, unit=" Hz")

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> BandLimitParams:
        u = rng.random(3)
        return BandLimitParams(
            applied=bool(u[0] < self.p),
            highpass_hz=log_uniform(u[1], self.min_highpass_hz, self.max_highpass_hz),
            lowpass_hz=log_uniform(u[2], self.min_lowpass_hz, self.max_lowpass_hz),
        )

    def apply(self, audio: np.ndarray, params: BandLimitParams, context: AugmentContext) -> np.ndarray:
        if not params.applied or audio.size == 0:
            return audio
        from scipy.signal import sosfilt

        sections = band_sections(params.highpass_hz, params.lowpass_hz, context.sample_rate_hz)
        return sosfilt(sections, audio).astype(np.float32, copy=False)


@functools.lru_cache(maxsize=4096)
def band_sections(highpass_hz: float, lowpass_hz: float, sample_rate_hz: int) -> np.ndarray:
    """Second-order sections of the high-pass (and, below 0.45 x the rate, the low-pass) filter."""
    from scipy.signal import butter

    sections = [butter(4, highpass_hz, btype="highpass", fs=sample_rate_hz, output="sos")]
    if lowpass_hz < 0.45 * sample_rate_hz:
        sections.append(butter(4, lowpass_hz, btype="lowpass", fs=sample_rate_hz, output="sos"))
    return np.concatenate(sections)


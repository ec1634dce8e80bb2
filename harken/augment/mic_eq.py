"""Microphone colour: a random low shelf, high shelf and peaking filter (RBJ biquads), in cascade.

In: float32 audio. Out: float32 audio of the same length, filtered causally (as a microphone and
its analog path would). Three second-order sections with gains drawn in +-``max_gain_db``: a low
shelf (corner ``min_low_shelf_hz``..``max_low_shelf_hz``), a high shelf (corner 2-6 kHz by
default) and a peak (300 Hz-4 kHz, Q 0.7-2). Real recordings (laptop, phone and headset
microphones) differ from the flat spectrum of synthetic speech mostly in such broad tilts and
resonances. The level is not restored: a gain stage before or a peak normalisation after it does that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_number, check_probability, check_range
from harken.augment.base import BUFFER, AugmentContext, Transform, log_uniform, uniform


@dataclass(frozen=True, slots=True)
class MicEqParams:
    applied: bool
    low_shelf_hz: float
    low_shelf_gain_db: float
    high_shelf_hz: float
    high_shelf_gain_db: float
    peak_hz: float
    peak_gain_db: float
    peak_q: float


@dataclass(slots=True, kw_only=True)
class MicEq(Transform):
    """Shelf and peak gains drawn uniformly in [-max_gain_db, max_gain_db], with probability ``p``.

    Examples
    --------
    >>> t, ctx = MicEq(p=1.0, max_gain_db=6.0), AugmentContext(sample_rate_hz=16000)
    >>> x = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    >>> y = t.apply(x, t.sample(np.random.default_rng(1), x, ctx), ctx)
    >>> y.shape == x.shape, y.dtype.name
    (True, 'float32')
    """

    name: ClassVar[str] = "mic_eq"
    stage: ClassVar[str] = BUFFER
    p: float = 0.5
    max_gain_db: float = 6.0
    min_low_shelf_hz: float = 100.0
    max_low_shelf_hz: float = 400.0
    min_high_shelf_hz: float = 2000.0
    max_high_shelf_hz: float = 6000.0
    min_peak_hz: float = 300.0
    max_peak_hz: float = 4000.0

    def validate(self) -> None:
        check_probability(self, "p")
        check_number(self, "max_gain_db", lo=0.0, hi=24.0, unit=" dB")
        check_range(self, "low_shelf_hz", lo=20.0, hi=2000.0, unit=" Hz")
        check_range(self, "high_shelf_hz", lo=500.0, hi=7900.0, unit=" Hz")
        check_range(self, "peak_hz", lo=50.0, hi=7900.0, unit=" Hz")

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> MicEqParams:
        u = rng.random(8)
        g = self.max_gain_db
        return MicEqParams(
            applied=bool(u[0] < self.p),
            low_shelf_hz=log_uniform(u[1], self.min_low_shelf_hz, self.max_low_shelf_hz),
            low_shelf_gain_db=uniform(u[2], -g, g),
            high_shelf_hz=log_uniform(u[3], self.min_high_shelf_hz, self.max_high_shelf_hz),
            high_shelf_gain_db=uniform(u[4], -g, g),
            peak_hz=log_uniform(u[5], self.min_peak_hz, self.max_peak_hz),
            peak_gain_db=uniform(u[6], -g, g),
            peak_q=uniform(u[7], 0.7, 2.0),
        )

    def apply(self, audio: np.ndarray, params: MicEqParams, context: AugmentContext) -> np.ndarray:
        if not params.applied or audio.size == 0:
            return audio
        from scipy.signal import sosfilt

        return sosfilt(eq_sections(params, sample_rate_hz=context.sample_rate_hz), audio).astype(np.float32, copy=False)


def eq_sections(params: MicEqParams, *, sample_rate_hz: int) -> np.ndarray:
    """The three biquads of ``params`` as a ``[3, 6]`` second-order-sections array (scipy layout).

    Corners above 0.45 x the sample rate are moved down to it, so any rate gives a stable filter.
    """
    nyquist_safe = 0.45 * sample_rate_hz
    return np.array([
        _biquad("low_shelf", min(params.low_shelf_hz, nyquist_safe), params.low_shelf_gain_db, 0.707, sample_rate_hz),
        _biquad("high_shelf", min(params.high_shelf_hz, nyquist_safe), params.high_shelf_gain_db, 0.707, sample_rate_hz),
        _biquad("peak", min(params.peak_hz, nyquist_safe), params.peak_gain_db, params.peak_q, sample_rate_hz),
    ])  # fmt: skip


def _biquad(kind: str, freq_hz: float, gain_db: float, q: float, sample_rate_hz: int) -> list[float]:
    """One RBJ audio-EQ-cookbook biquad, normalised (a0 = 1), as [b0, b1, b2, 1, a1, a2]."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * freq_hz / sample_rate_hz
    cos_w0, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    if kind == "peak":
        b = (1 + alpha * a, -2 * cos_w0, 1 - alpha * a)
        den = (1 + alpha / a, -2 * cos_w0, 1 - alpha / a)
    else:
        s = 2.0 * math.sqrt(a) * alpha
        sign = 1.0 if kind == "low_shelf" else -1.0  # the high shelf is the low shelf with cos(w0) negated
        b = (a * ((a + 1) - sign * (a - 1) * cos_w0 + s), sign * 2 * a * ((a - 1) - sign * (a + 1) * cos_w0),
             a * ((a + 1) - sign * (a - 1) * cos_w0 - s))  # fmt: skip
        den = ((a + 1) + sign * (a - 1) * cos_w0 + s, -sign * 2 * ((a - 1) + sign * (a + 1) * cos_w0),
               (a + 1) + sign * (a - 1) * cos_w0 - s)  # fmt: skip
    return [b[0] / den[0], b[1] / den[0], b[2] / den[0], 1.0, den[1] / den[0], den[2] / den[0]]


"""Narrowband channel: resample to a telephone-like rate and back, optionally through 8-bit mu-law.

In: float32 audio at ``sample_rate_hz``. Out: float32 audio of the same length and rate that
holds nothing above half the drawn ``rate_hz`` (8-11 kHz by default: 4-5.5 kHz of bandwidth, as
in phone calls, VoIP codecs and Bluetooth headsets), and, with probability ``p_mu_law``, the
quantisation noise of G.711 mu-law companding. Resampling is soxr's (quality "HQ"). A rate at or
above ``sample_rate_hz`` leaves the audio as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_probability, check_range
from harken.augment.base import BUFFER, AugmentContext, Transform, uniform

MU = 255.0


@dataclass(frozen=True, slots=True)
class NarrowbandParams:
    applied: bool
    rate_hz: int
    mu_law: bool


@dataclass(slots=True, kw_only=True)
class Narrowband(Transform):
    """Intermediate rate drawn uniformly in [min_rate_hz, max_rate_hz], with probability ``p``.

    Examples
    --------
    >>> t, ctx = Narrowband(p=1.0, min_rate_hz=8000, max_rate_hz=8000, p_mu_law=0.0), AugmentContext(sample_rate_hz=16000)
    >>> x = np.sin(np.arange(16000) * 2 * np.pi * 6000 / 16000).astype(np.float32)
    >>> y = t.apply(x, t.sample(np.random.default_rng(0), x, ctx), ctx)
    >>> y.shape, bool(np.sqrt(np.mean(y[1000:-1000] ** 2)) < 0.01)
    ((16000,), True)
    """

    name: ClassVar[str] = "narrowband"
    stage: ClassVar[str] = BUFFER
    p: float = 0.2
    min_rate_hz: int = 8000
    max_rate_hz: int = 11025
    p_mu_law: float = 0.5

    def validate(self) -> None:
        check_probability(self, "p")
        check_probability(self, "p_mu_law")
        check_range(self, "rate_hz", lo=2000, hi=48000, unit=" Hz")

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> NarrowbandParams:
        u = rng.random(3)
        return NarrowbandParams(applied=bool(u[0] < self.p), rate_hz=round(uniform(u[1], self.min_rate_hz, self.max_rate_hz)),
                                mu_law=bool(u[2] < self.p_mu_law))  # fmt: skip

    def apply(self, audio: np.ndarray, params: NarrowbandParams, context: AugmentContext) -> np.ndarray:
        sample_rate_hz = context.sample_rate_hz
        if not params.applied or audio.size == 0 or params.rate_hz >= sample_rate_hz:
            return audio
        import soxr

        low = soxr.resample(audio.astype(np.float32, copy=False), sample_rate_hz, params.rate_hz, quality="HQ")
        if params.mu_law:
            low = mu_law_round_trip(low)
        back = soxr.resample(low, params.rate_hz, sample_rate_hz, quality="HQ")
        out = np.zeros(audio.size, np.float32)
        out[: min(audio.size, back.size)] = back[: audio.size]
        return out


def mu_law_round_trip(audio: np.ndarray) -> np.ndarray:
    """Encode to 8-bit G.711-style mu-law (mu = 255) and decode again: float32 in, float32 out.

    Examples
    --------
    >>> float(mu_law_round_trip(np.array([0.5], np.float32))[0]) == 0.5
    False
    """
    x = np.clip(audio, -1.0, 1.0).astype(np.float64)
    code = np.round(np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU) * 127.0)
    y = code / 127.0
    return (np.sign(y) * np.expm1(np.abs(y) * np.log1p(MU)) / MU).astype(np.float32)

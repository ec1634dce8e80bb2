"""Narrowband channel: resample to a telephone-like rate and back, optionally through 8-bit mu-law.

In: float32 audio at ``sample_rate_hz``. Out: float32 audio of the same length and rate that
holds nothing above half the drawn ``rate_hz`` (8-11 kHz by default: 4-5.5 kHz of bandwidth, as
in phone calls, VoIP codecs and Bluetooth headsets), and, with probability ``p_mu_law``, the
quantisation noise of G.711 mu-law companding. Resampling is soxr's (quality "HQ"). A rate at or
above ``sample_rate_hz`` leaves the audio as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_probability, check_range, uniform

MU = 255.0


@dataclass(frozen=True, slots=True)
class NarrowbandParams:
    applied: bool
    rate_hz: int
    mu_law: bool


@dataclass(slots=True, kw_only=True)
class Narrowband:
    """Intermediate rate drawn uniformly in [min_rate_hz, max_rate_hz], with probability ``p``.

    Examples
    --------
    >>> t = Narrowband(p=1.0, min_rate_hz=8000, max_rate_hz=8000, p_mu_law=0.0)
    >>> x = np.sin(np.arange(16000) * 2 * np.pi * 6000 / 16000).astype(np.float32)
    >>> y = t.apply(x, t.sample(np.random.default_rng(0)), sample_rate_hz=16000)
    >>> y.shape, bool(np.sqrt(np.mean(y[1000:-1000] ** 2)) < 0.01)
    ((16000,), True)
    """

    name = "narrowband"
    p: float = 0.2
    min_rate_hz: int = 8000
    max_rate_hz: int = 11025
    p_mu_law: float = 0.5

    def __post_init__(self) -> None:
        check_probability("Narrowband", "p", self.p)
        check_probability("Narrowband", "p_mu_law", self.p_mu_law)
        check_range("Narrowband", "rate_hz", self.min_rate_hz, self.max_rate_hz, lo=2000, hi=48000, unit=" Hz")

    def sample(self, rng: np.random.Generator) -> NarrowbandParams:
        u = rng.random(3)
        return NarrowbandParams(applied=bool(u[0] < self.p), rate_hz=round(uniform(u[1], self.min_rate_hz, self.max_rate_hz)),
                                mu_law=bool(u[2] < self.p_mu_law))  # fmt: skip

    @staticmethod
    def apply(audio: np.ndarray, params: NarrowbandParams, *, sample_rate_hz: int) -> np.ndarray:
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

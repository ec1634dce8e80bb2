"""Weak ending: attenuate the last part of a word, as real speakers swallow word-final consonants.

In: a float32 dry word (trimmed). Out: the same word with its last ``fraction`` attenuated by
``depth_db``, reached over a short raised-cosine ramp. Synthetic speech articulates every final
consonant at full strength (espeak's "up" ends in a loud /p/ burst, its "off" in a strong /f/);
real isolated words mostly do not (an unreleased /p/, a faint /f/), so a model trained on espeak
alone learns "a loud burst means up" and takes a real "up" for "off". The label stays as it is:
a weak /f/ is still "off".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_probability, check_range, uniform

#: Length of the ramp from full level down to ``depth_db`` (seconds).
RAMP_S = 0.02


@dataclass(frozen=True, slots=True)
class WeakEndingParams:
    applied: bool
    fraction: float  # of the word, at its end, that is attenuated
    depth_db: float  # attenuation of that part (dB, > 0)


@dataclass(slots=True, kw_only=True)
class WeakEnding:
    """With probability ``p``, attenuate the last ``fraction`` of the word by ``depth_db`` (both drawn uniformly).

    Examples
    --------
    >>> t = WeakEnding(p=1.0, min_fraction=0.5, max_fraction=0.5, min_depth_db=20.0, max_depth_db=20.0)
    >>> prm = t.sample(np.random.default_rng(0))
    >>> y = t.apply(np.ones(16000, np.float32), prm, sample_rate_hz=16000)
    >>> float(y[0]), round(float(y[-1]), 3)
    (1.0, 0.1)
    """

    name = "weak_ending"
    p: float = 0.5
    min_fraction: float = 0.15
    max_fraction: float = 0.45
    min_depth_db: float = 6.0
    max_depth_db: float = 30.0

    def __post_init__(self) -> None:
        check_probability("WeakEnding", "p", self.p)
        check_range("WeakEnding", "fraction", self.min_fraction, self.max_fraction, lo=0.0, hi=1.0)
        check_range("WeakEnding", "depth_db", self.min_depth_db, self.max_depth_db, lo=0.0, hi=120.0, unit=" dB")

    def sample(self, rng: np.random.Generator) -> WeakEndingParams:
        u = rng.random(3)
        return WeakEndingParams(applied=bool(u[0] < self.p), fraction=uniform(u[1], self.min_fraction, self.max_fraction),
                                depth_db=uniform(u[2], self.min_depth_db, self.max_depth_db))  # fmt: skip

    @staticmethod
    def apply(audio: np.ndarray, params: WeakEndingParams, *, sample_rate_hz: int) -> np.ndarray:
        """The word with its ending attenuated (a new array; ``audio`` is left as it is)."""
        n = audio.size
        start = n - int(round(params.fraction * n))
        if not params.applied or start >= n or params.depth_db <= 0.0:
            return audio
        ramp = min(max(1, int(round(RAMP_S * sample_rate_hz))), n - start)
        floor = 10.0 ** (-params.depth_db / 20.0)
        gain = np.ones(n, dtype=np.float32)
        shape = 0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, ramp, dtype=np.float64))  # 1 -> 0
        gain[start : start + ramp] = (floor + (1.0 - floor) * shape).astype(np.float32)
        gain[start + ramp :] = floor
        return audio * gain
